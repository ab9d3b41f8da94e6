/**
 * The kernel's side of the TCP interop tests, as python3 one-liners run inside the namespace:
 * a client that sends a file, half-closes and prints the answer, and the start of a server that
 * accepts one connection and reads it to EOF, hashing what it got (each test adds its answer).
 */

/** `AF_INET` or `AF_INET6`, for python's socket module. */
function af(family: 4 | 6): string {
  return `socket.AF_INET${family === 6 ? '6' : ''}`;
}

/**
 * A client: connects to `addr`:`port`, sends the file, half-closes (SHUT_WR), reads to EOF and
 * prints what it read. With `timeoutSecs`, each socket operation gives up after that long.
 */
export function pythonFileSender(opts: { family: 4 | 6; addr: string; port: number; file: string; timeoutSecs?: number }): string {
  return [
    'import socket',
    `s = socket.socket(${af(opts.family)}, socket.SOCK_STREAM)`,
    ...(opts.timeoutSecs !== undefined ? [`s.settimeout(${opts.timeoutSecs})`] : []),
    `s.connect(('${opts.addr}', ${opts.port}))`,
    `with open('${opts.file}', 'rb') as f: s.sendall(f.read())`,
    's.shutdown(socket.SHUT_WR)',
    "r = b''",
    'while True:',
    '    d = s.recv(4096)',
    '    if not d: break',
    '    r += d',
    'print(r.decode(), end="")',
  ].join('\n');
}

/**
 * The first lines of a server: listens on `port` (all addresses of `family`), prints `listening`,
 * accepts one connection `c` and reads it to EOF in `recvSize` reads, leaving the byte count in
 * `n` and a SHA-256 in `h`. `imports` are added to the import line (socket and hashlib are there).
 */
export function pythonHashingServerStart(family: 4 | 6, port: number, recvSize: string, imports: readonly string[] = []): string[] {
  return [
    `import ${['socket', 'hashlib', ...imports].join(', ')}`,
    `s = socket.socket(${af(family)}, socket.SOCK_STREAM)`,
    's.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
    `s.bind(('${family === 6 ? '::' : '0.0.0.0'}', ${port}))`,
    's.listen(1)',
    "print('listening', flush=True)",
    'c, _ = s.accept()',
    'h = hashlib.sha256()',
    'n = 0',
    'while True:',
    `    d = c.recv(${recvSize})`,
    '    if not d: break',
    '    h.update(d)',
    '    n += len(d)',
  ];
}

/**
 * Character generator (RFC 864): "Once a connection is established the server shall send data
 * until the calling user terminates the connection." Lines of 72 printable ASCII characters, each
 * starting one character further along the 95-character cycle, written as fast as the peer's
 * window allows (stream backpressure), until the peer half-closes or goes away. Received data is
 * thrown away.
 */

import type { RelaySocket } from '../relay/types';

/** RFC 864's printable set: the 95 characters from space (32) to tilde (126). */
const FIRST = 32;
const CYCLE = 95;
export const CHARGEN_LINE = 72;
/** Lines per write: 74 bytes each, about 16 KiB per chunk. */
const LINES_PER_CHUNK = 220;

/** The text of line `n` (0-based), with its CR LF. */
export function chargenLine(n: number): string {
  let s = '';
  for (let i = 0; i < CHARGEN_LINE; i++) s += String.fromCharCode(FIRST + ((n + i) % CYCLE));
  return `${s}\r\n`;
}

/** One full cycle of lines, built once: chunks are cut from it. */
const CYCLE_TEXT = Buffer.from(Array.from({ length: CYCLE }, (_, n) => chargenLine(n)).join(''), 'latin1');
const LINE_BYTES = CHARGEN_LINE + 2;

function chunkFrom(line: number): Buffer {
  const out = Buffer.allocUnsafe(LINES_PER_CHUNK * LINE_BYTES);
  for (let i = 0; i < LINES_PER_CHUNK; i++) {
    const at = ((line + i) % CYCLE) * LINE_BYTES;
    CYCLE_TEXT.copy(out, i * LINE_BYTES, at, at + LINE_BYTES);
  }
  return out;
}

export function chargen(socket: RelaySocket): void {
  let line = 0;
  let stopped = false;
  const stop = (): void => {
    stopped = true;
  };
  socket.on('error', stop);
  socket.on('close', stop);
  socket.on('end', () => {
    stop();
    socket.end();
  });
  socket.resume();
  const pump = (): void => {
    while (!stopped && !socket.writableEnded && !socket.destroyed) {
      const ok = socket.write(chunkFrom(line));
      line = (line + LINES_PER_CHUNK) % CYCLE;
      if (!ok) return void socket.once('drain', pump);
    }
  };
  pump();
}

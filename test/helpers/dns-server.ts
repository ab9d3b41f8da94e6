/**
 * A tiny authoritative DNS server for tests (the machine has no Internet): on 127.0.0.1 at a
 * random UDP port (and the same TCP port, RFC 7766 length framing), it answers A queries for the
 * names it knows, NODATA for their other types, NXDOMAIN for the rest (RFC 1035 §4.1).
 */

import * as dgram from 'dgram';
import * as net from 'net';

export interface TestDnsServer {
  readonly port: number;
  /** Names queried, with their type (`A example.test`, `AAAA example.test`), over both transports. */
  readonly queries: string[];
  close(): Promise<void>;
}

const TYPE_NAMES: Record<number, string> = { 1: 'A', 28: 'AAAA' };

/** The answer to one query message, or null when it is not a query we can read. */
export function answerQuery(q: Buffer, names: ReadonlyMap<string, string>, seen: string[]): Buffer | null {
  if (q.length < 12 || (q[2]! & 0x80) !== 0) return null;
  const labels: string[] = [];
  let i = 12;
  while (i < q.length && q[i] !== 0) {
    const n = q[i]!;
    if (n > 63 || i + 1 + n > q.length) return null;
    labels.push(q.subarray(i + 1, i + 1 + n).toString('ascii'));
    i += 1 + n;
  }
  if (i + 5 > q.length) return null;
  const qtype = q.readUInt16BE(i + 1);
  const question = q.subarray(12, i + 5);
  const name = labels.join('.').toLowerCase();
  seen.push(`${TYPE_NAMES[qtype] ?? qtype} ${name}`);
  const address = names.get(name);
  const answers = address !== undefined && qtype === 1 ? [address] : [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.readUInt16BE(0), 0);
  // QR, opcode 0, AA, RD copied, RA; RCODE 3 (NXDOMAIN) for unknown names.
  header[2] = 0x84 | (q[2]! & 0x01);
  header[3] = 0x80 | (address === undefined ? 3 : 0);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  const rrs = answers.map((a) => {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    rr.writeUInt16BE(1, 2); // A
    rr.writeUInt16BE(1, 4); // IN
    rr.writeUInt32BE(60, 6);
    rr.writeUInt16BE(4, 10);
    Buffer.from(a.split('.').map(Number)).copy(rr, 12);
    return rr;
  });
  return Buffer.concat([header, question, ...rrs]);
}

/** Starts the server; `names` maps lower-case names to IPv4 addresses. */
export async function startDnsServer(names: Record<string, string>): Promise<TestDnsServer> {
  const known = new Map(Object.entries(names).map(([k, v]) => [k.toLowerCase(), v]));
  const queries: string[] = [];
  const udp = dgram.createSocket('udp4');
  udp.on('message', (m, r) => {
    const a = answerQuery(m, known, queries);
    if (a !== null) udp.send(a, r.port, r.address);
  });
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  const port = udp.address().port;
  const tcp = net.createServer((s) => {
    let buf = Buffer.alloc(0);
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const a = answerQuery(buf.subarray(2, 2 + buf.readUInt16BE(0)), known, queries);
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        if (a === null) continue;
        const len = Buffer.alloc(2);
        len.writeUInt16BE(a.length);
        s.write(Buffer.concat([len, a]));
      }
    });
    s.on('error', () => undefined);
  });
  // The same port over TCP; when another process has it, TCP is simply not offered.
  await new Promise<void>((resolve) => {
    tcp.once('error', () => resolve());
    tcp.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port,
    queries,
    close: async () => {
      udp.close();
      await new Promise<void>((resolve) => (tcp.listening ? tcp.close(() => resolve()) : resolve()));
    },
  };
}

/** A query message for `name` and `qtype` (1 = A, 28 = AAAA) with transaction ID `id`. */
export function dnsQuery(id: number, name: string, qtype = 1): Buffer {
  const header = Buffer.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')]));
  return Buffer.concat([header, ...labels, Buffer.from([0, qtype >> 8, qtype & 0xff, 0, 1])]);
}

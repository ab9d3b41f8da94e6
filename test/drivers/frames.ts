/** Helpers shared by the driver tests: frames, hand-built capture files, temporary paths. */

import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseMac } from '../../stack/wire/address';

/** An Ethernet II frame: dst, src, EtherType, then `payloadLength` bytes counting up from `fill`. */
export function ethFrame(dst: string, src: string, payloadLength = 46, fill = 0, etherType = 0x0800): Uint8Array {
  const f = new Uint8Array(14 + payloadLength);
  f.set(parseMac(dst)!, 0);
  f.set(parseMac(src)!, 6);
  f[12] = etherType >> 8;
  f[13] = etherType & 0xff;
  for (let i = 0; i < payloadLength; i++) f[14 + i] = (fill + i) & 0xff;
  return f;
}

/** A frame whose first four payload bytes hold `n`, so tests can tell frames apart. */
export function numbered(n: number, length = 60): Uint8Array {
  const f = new Uint8Array(length);
  new DataView(f.buffer).setUint32(14, n);
  f.set([2, 0, 0, 0, 0, 2], 0);
  f.set([2, 0, 0, 0, 0, 1], 6);
  return f;
}

export function numberOf(f: Uint8Array): number {
  return new DataView(f.buffer, f.byteOffset, f.byteLength).getUint32(14);
}

export interface HandRecord {
  sec: number;
  frac: number;
  inclLen: number;
  origLen: number;
  data: Uint8Array; // what follows the record header (may be shorter than inclLen)
}

/** A classic pcap built field by field, independent of the writer under test. */
export function handPcap(o: { le: boolean; magic: number; snaplen: number; linkType: number; records: HandRecord[]; major?: number }): Uint8Array {
  const size = 24 + o.records.reduce((n, r) => n + 16 + r.data.byteLength, 0);
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, o.magic, o.le);
  dv.setUint16(4, o.major ?? 2, o.le);
  dv.setUint16(6, 4, o.le);
  dv.setUint32(16, o.snaplen, o.le);
  dv.setUint32(20, o.linkType, o.le);
  let off = 24;
  for (const r of o.records) {
    dv.setUint32(off, r.sec, o.le);
    dv.setUint32(off + 4, r.frac, o.le);
    dv.setUint32(off + 8, r.inclLen, o.le);
    dv.setUint32(off + 12, r.origLen, o.le);
    b.set(r.data, off + 16);
    off += 16 + r.data.byteLength;
  }
  return b;
}

/** A pcapng block: type, total length, body padded to 4, total length. */
export function block(le: boolean, type: number, body: Uint8Array): Uint8Array {
  const padded = (body.byteLength + 3) & ~3;
  const total = 12 + padded;
  const b = new Uint8Array(total);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, type, le);
  dv.setUint32(4, total, le);
  b.set(body, 8);
  dv.setUint32(total - 4, total, le);
  return b;
}

/** Bytes from a list of [value, width] fields in one byte order. */
export function fields(le: boolean, ...items: Array<[number | bigint, 1 | 2 | 4 | 8] | Uint8Array>): Uint8Array {
  const parts: Uint8Array[] = items.map((it) => {
    if (it instanceof Uint8Array) return it;
    const [v, w] = it;
    const b = new Uint8Array(w);
    const dv = new DataView(b.buffer);
    if (w === 1) dv.setUint8(0, Number(v));
    else if (w === 2) dv.setUint16(0, Number(v), le);
    else if (w === 4) dv.setUint32(0, Number(v), le);
    else dv.setBigUint64(0, BigInt(v), le);
    return b;
  });
  return concat(...parts);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

let counter = 0;

/** A fresh directory for one test, removed by the returned cleanup (call it from t.teardown). */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `usernet-drivers-${process.pid}-${counter++}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

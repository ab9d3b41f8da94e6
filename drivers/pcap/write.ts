/**
 * Classic pcap writer (draft-ietf-opsawg-pcap): whole files in memory (`writePcap`) or streamed
 * to a file as frames pass (`PcapWriter`). Files are little-endian, version 2.4, microsecond or
 * nanosecond timestamps, and open in tcpdump, tshark and Wireshark.
 */

import { closeSync, openSync, writeSync } from 'fs';
import type { LinkType } from '../../stack/link';
import { MAX_RECORD_BYTES, linkTypeNumberOf } from './format';
import {
  PCAP_FILE_HEADER_BYTES,
  PCAP_MAGIC_MICROSECONDS,
  PCAP_MAGIC_NANOSECONDS,
  PCAP_RECORD_HEADER_BYTES,
  PCAP_VERSION_MAJOR,
  PCAP_VERSION_MINOR,
} from './read';

/** A frame to write. `PcapRecord` from the readers fits, so files round-trip. */
export interface PcapWriteRecord {
  readonly data: Uint8Array;
  /** Milliseconds since the Unix epoch (a simulated clock's 0 is 1970-01-01). */
  readonly timeMs: number;
  /** Used instead of `timeMs` when present: exact nanoseconds since the epoch. */
  readonly timestampNs?: bigint;
  /** Length on the wire; defaults to `data.length`. */
  readonly origLen?: number;
}

export interface PcapWriteOptions {
  /** Ethernet/raw IP, or a link-type number written as is. */
  readonly linkType: LinkType | number;
  /** Longest record kept; longer frames are cut and keep their `origLen`. Default 262144. */
  readonly snaplen?: number;
  /** Nanosecond timestamps (magic 0xa1b23c4d) instead of microseconds. Default false. */
  readonly nanosecond?: boolean;
}

function checkOptions(o: PcapWriteOptions): { linkTypeNumber: number; snaplen: number; nanosecond: boolean } {
  const linkTypeNumber = typeof o.linkType === 'number' ? o.linkType : linkTypeNumberOf(o.linkType);
  if (!Number.isInteger(linkTypeNumber) || linkTypeNumber < 0 || linkTypeNumber > 0xffff) {
    throw new RangeError(`pcap link type must be an integer in [0, 65535], got ${o.linkType}`);
  }
  const snaplen = o.snaplen ?? MAX_RECORD_BYTES;
  if (!Number.isInteger(snaplen) || snaplen < 1 || snaplen > MAX_RECORD_BYTES) {
    throw new RangeError(`pcap snaplen must be an integer in [1, ${MAX_RECORD_BYTES}], got ${snaplen}`);
  }
  return { linkTypeNumber, snaplen, nanosecond: o.nanosecond ?? false };
}

function fileHeader(linkTypeNumber: number, snaplen: number, nanosecond: boolean): Uint8Array {
  const b = new Uint8Array(PCAP_FILE_HEADER_BYTES);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, nanosecond ? PCAP_MAGIC_NANOSECONDS : PCAP_MAGIC_MICROSECONDS, true);
  dv.setUint16(4, PCAP_VERSION_MAJOR, true);
  dv.setUint16(6, PCAP_VERSION_MINOR, true);
  // thiszone and sigfigs stay 0, as the format asks.
  dv.setUint32(16, snaplen, true);
  dv.setUint32(20, linkTypeNumber, true);
  return b;
}

/** Seconds and fraction (µs or ns) for a record header. */
function timestampFields(r: Pick<PcapWriteRecord, 'timeMs' | 'timestampNs'>, nanosecond: boolean): [number, number] {
  const unitsPerSecond = nanosecond ? 1_000_000_000 : 1_000_000;
  let seconds: number;
  let fraction: number;
  if (r.timestampNs !== undefined) {
    if (r.timestampNs < 0n) throw new RangeError(`pcap timestamp must not be negative, got ${r.timestampNs} ns`);
    seconds = Number(r.timestampNs / 1_000_000_000n);
    const ns = Number(r.timestampNs % 1_000_000_000n);
    fraction = nanosecond ? ns : Math.floor(ns / 1000);
  } else {
    if (!(r.timeMs >= 0) || !Number.isFinite(r.timeMs)) throw new RangeError(`pcap timestamp must be a finite time ≥ 0 ms, got ${r.timeMs}`);
    seconds = Math.floor(r.timeMs / 1000);
    fraction = Math.round((r.timeMs - seconds * 1000) * (unitsPerSecond / 1000));
    if (fraction >= unitsPerSecond) {
      seconds++;
      fraction -= unitsPerSecond;
    }
  }
  if (seconds > 0xffffffff) throw new RangeError(`pcap timestamp past 2106 cannot be written: ${seconds} s`);
  return [seconds, fraction];
}

/** Writes one record (header and kept bytes) at `off` in `into`; returns the offset after it. */
function putRecord(into: Uint8Array, off: number, r: PcapWriteRecord, snaplen: number, nanosecond: boolean): number {
  const kept = Math.min(r.data.byteLength, snaplen);
  const origLen = Math.max(r.origLen ?? r.data.byteLength, r.data.byteLength);
  const [seconds, fraction] = timestampFields(r, nanosecond);
  const dv = new DataView(into.buffer, into.byteOffset + off, PCAP_RECORD_HEADER_BYTES);
  dv.setUint32(0, seconds, true);
  dv.setUint32(4, fraction, true);
  dv.setUint32(8, kept, true);
  dv.setUint32(12, origLen >>> 0, true);
  into.set(r.data.subarray(0, kept), off + PCAP_RECORD_HEADER_BYTES);
  return off + PCAP_RECORD_HEADER_BYTES + kept;
}

/** A whole pcap file holding `records` in order. */
export function writePcap(records: Iterable<PcapWriteRecord>, linkType: LinkType | number, options: Omit<PcapWriteOptions, 'linkType'> = {}): Uint8Array {
  const { linkTypeNumber, snaplen, nanosecond } = checkOptions({ ...options, linkType });
  const list = [...records];
  let size = PCAP_FILE_HEADER_BYTES;
  for (const r of list) size += PCAP_RECORD_HEADER_BYTES + Math.min(r.data.byteLength, snaplen);
  const out = new Uint8Array(size);
  out.set(fileHeader(linkTypeNumber, snaplen, nanosecond), 0);
  let off = PCAP_FILE_HEADER_BYTES;
  for (const r of list) off = putRecord(out, off, r, snaplen, nanosecond);
  return out;
}

function writeAll(fd: number, b: Uint8Array): void {
  let done = 0;
  while (done < b.byteLength) done += writeSync(fd, b, done, b.byteLength - done);
}

/**
 * Streams a pcap file: the header on construction, one record per `write`. Each record goes to
 * the file in one synchronous write, so everything written is complete in the file at once
 * (a crash loses nothing already written) and after `close()`.
 */
export class PcapWriter {
  private fd: number | null;
  private readonly snaplen: number;
  private readonly nanosecond: boolean;
  /** The link-type number in the file header. */
  readonly linkTypeNumber: number;
  /** Records written so far. */
  records = 0;
  /** Bytes in the file so far, header included. */
  bytesWritten = 0;

  /** Creates (or truncates) `path` and writes the file header. Throws the `fs` error if it cannot. */
  constructor(readonly path: string, options: PcapWriteOptions) {
    const { linkTypeNumber, snaplen, nanosecond } = checkOptions(options);
    this.snaplen = snaplen;
    this.nanosecond = nanosecond;
    this.linkTypeNumber = linkTypeNumber;
    this.fd = openSync(path, 'w');
    const header = fileHeader(linkTypeNumber, snaplen, nanosecond);
    writeAll(this.fd, header);
    this.bytesWritten = header.byteLength;
  }

  /** Appends `frame` (not kept after the call) captured at `timeMs` (ms since the epoch). */
  write(frame: Uint8Array, timeMs: number, origLen?: number): void {
    if (this.fd === null) throw new Error(`PcapWriter(${this.path}): write after close`);
    const record: PcapWriteRecord = origLen === undefined ? { data: frame, timeMs } : { data: frame, timeMs, origLen };
    const b = new Uint8Array(PCAP_RECORD_HEADER_BYTES + Math.min(frame.byteLength, this.snaplen));
    putRecord(b, 0, record, this.snaplen, this.nanosecond);
    writeAll(this.fd, b);
    this.records++;
    this.bytesWritten += b.byteLength;
  }

  get closed(): boolean {
    return this.fd === null;
  }

  /** Closes the file. Calling it again does nothing. */
  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    closeSync(fd);
  }
}

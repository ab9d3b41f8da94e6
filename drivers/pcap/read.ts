/**
 * Classic pcap reader (draft-ietf-opsawg-pcap, "PCAP Capture File Format"): both byte orders,
 * microsecond and nanosecond timestamps, Ethernet and raw-IP link types. `readCapture` also
 * accepts pcapng, so callers need not know which format a file is in.
 */

import { readFileSync } from 'fs';
import {
  CaptureFormatError,
  MAX_RECORD_BYTES,
  linkTypeOf,
  timeMsOf,
  type PcapFile,
  type PcapRecord,
} from './format';
import { PCAPNG_SHB_TYPE, readPcapng } from './pcapng';

export const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
export const PCAP_MAGIC_NANOSECONDS = 0xa1b23c4d;
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;
export const PCAP_FILE_HEADER_BYTES = 24;
export const PCAP_RECORD_HEADER_BYTES = 16;

/** File header field offsets. */
const H = { magic: 0, versionMajor: 4, versionMinor: 6, thiszone: 8, sigfigs: 12, snaplen: 16, linkType: 20 } as const;
/** Record header field offsets. */
const R = { tsSec: 0, tsFraction: 4, inclLen: 8, origLen: 12 } as const;

/** The link type lives in the low 16 bits; the upper bits carry FCS information we ignore. */
const LINKTYPE_MASK = 0xffff;

/**
 * Parses a classic pcap file. Record `data` are views into `bytes`. Throws `CaptureFormatError`
 * for a file that is not pcap, an unsupported link type or a record header that cannot be right;
 * a file that merely ends early returns what it holds, with `truncated`/`incomplete` set.
 */
export function readPcap(bytes: Uint8Array): PcapFile {
  if (bytes.byteLength < PCAP_FILE_HEADER_BYTES) {
    throw new CaptureFormatError(`not a pcap file: ${bytes.byteLength} bytes is shorter than the ${PCAP_FILE_HEADER_BYTES}-byte file header`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicLE = dv.getUint32(H.magic, true);
  const magicBE = dv.getUint32(H.magic, false);
  let littleEndian: boolean;
  let magic: number;
  if (magicLE === PCAP_MAGIC_MICROSECONDS || magicLE === PCAP_MAGIC_NANOSECONDS) {
    littleEndian = true;
    magic = magicLE;
  } else if (magicBE === PCAP_MAGIC_MICROSECONDS || magicBE === PCAP_MAGIC_NANOSECONDS) {
    littleEndian = false;
    magic = magicBE;
  } else if (magicBE === PCAPNG_SHB_TYPE) {
    throw new CaptureFormatError('this is a pcapng file; use readCapture or readPcapng');
  } else {
    throw new CaptureFormatError(`not a pcap file: magic 0x${magicBE.toString(16).padStart(8, '0')}`, 0);
  }
  const nanosecond = magic === PCAP_MAGIC_NANOSECONDS;
  const versionMajor = dv.getUint16(H.versionMajor, littleEndian);
  if (versionMajor !== PCAP_VERSION_MAJOR) {
    throw new CaptureFormatError(`unsupported pcap version ${versionMajor}.${dv.getUint16(H.versionMinor, littleEndian)}`, H.versionMajor);
  }
  const snaplen = dv.getUint32(H.snaplen, littleEndian);
  const linkTypeNumber = dv.getUint32(H.linkType, littleEndian) & LINKTYPE_MASK;
  const linkType = linkTypeOf(linkTypeNumber);
  if (linkType === null) {
    throw new CaptureFormatError(`unsupported link type ${linkTypeNumber} (usernet reads Ethernet 1 and raw IP 101, 228, 229)`, H.linkType);
  }

  const unitsPerSecond = nanosecond ? 1_000_000_000n : 1_000_000n;
  const nsPerUnit = nanosecond ? 1n : 1000n;
  const recordLimit = Math.max(snaplen, MAX_RECORD_BYTES);
  const records: PcapRecord[] = [];
  let incomplete = false;
  let off = PCAP_FILE_HEADER_BYTES;
  while (off < bytes.byteLength) {
    if (off + PCAP_RECORD_HEADER_BYTES > bytes.byteLength) {
      incomplete = true; // the file ends inside a record header
      break;
    }
    const inclLen = dv.getUint32(off + R.inclLen, littleEndian);
    if (inclLen > recordLimit) {
      throw new CaptureFormatError(`record ${records.length} claims ${inclLen} captured bytes, more than any capture holds (snaplen ${snaplen})`, off);
    }
    const seconds = BigInt(dv.getUint32(off + R.tsSec, littleEndian));
    const fraction = BigInt(dv.getUint32(off + R.tsFraction, littleEndian));
    const origLen = dv.getUint32(off + R.origLen, littleEndian);
    const start = off + PCAP_RECORD_HEADER_BYTES;
    const available = Math.min(inclLen, bytes.byteLength - start);
    const overSnaplen = snaplen > 0 && inclLen > snaplen;
    const kept = overSnaplen ? Math.min(available, snaplen) : available;
    records.push({
      timeMs: timeMsOf(seconds, fraction, unitsPerSecond),
      timestampNs: seconds * 1_000_000_000n + fraction * nsPerUnit,
      data: bytes.subarray(start, start + kept),
      origLen,
      truncated: available < inclLen || overSnaplen,
    });
    if (available < inclLen) {
      incomplete = true;
      break;
    }
    off = start + inclLen;
  }
  return { format: 'pcap', linkType, linkTypeNumber, snaplen, records, incomplete };
}

/** Reads pcap or pcapng, whichever `bytes` hold (told apart by their first four bytes). */
export function readCapture(bytes: Uint8Array): PcapFile {
  if (bytes.byteLength >= 4) {
    const first = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, false);
    if (first === PCAPNG_SHB_TYPE) return readPcapng(bytes);
  }
  return readPcap(bytes);
}

function readWhole(path: string): Uint8Array {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** `readPcap` on a file's contents. */
export function readPcapFile(path: string): PcapFile {
  return readPcap(readWhole(path));
}

/** `readCapture` on a file's contents: pcap or pcapng. */
export function readCaptureFile(path: string): PcapFile {
  return readCapture(readWhole(path));
}

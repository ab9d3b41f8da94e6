/**
 * pcapng reader (draft-ietf-opsawg-pcapng, "PCAP Next Generation Dump File Format"): section
 * header blocks in either byte order (several sections per file), interface description blocks
 * with `if_tsresol`/`if_tsoffset`, enhanced, simple and obsolete packet blocks. Other blocks are
 * skipped by their length. Every length is checked before it is used, so a malformed file gives a
 * `CaptureFormatError` and never a read out of bounds.
 */

import type { LinkType } from '../../stack/link';
import { CaptureFormatError, linkTypeOf, timeMsOf, type PcapFile, type PcapRecord } from './format';

export const PCAPNG_SHB_TYPE = 0x0a0d0d0a;
export const PCAPNG_IDB_TYPE = 0x00000001;
export const PCAPNG_OPB_TYPE = 0x00000002; // obsolete Packet Block, still written by old tools
export const PCAPNG_SPB_TYPE = 0x00000003;
export const PCAPNG_EPB_TYPE = 0x00000006;
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** type, total length … total length: the smallest block has an empty body. */
const BLOCK_OVERHEAD = 12;
const OPT_ENDOFOPT = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

/** Body field offsets, relative to the start of the block body (block start + 8). */
const SHB = { magic: 0, major: 4, minor: 6, sectionLength: 8, options: 16 } as const;
const IDB = { linkType: 0, snaplen: 4, options: 8 } as const;
const EPB = { interfaceId: 0, tsHigh: 4, tsLow: 8, capturedLen: 12, origLen: 16, data: 20 } as const;
const OPB = { interfaceId: 0, tsHigh: 4, tsLow: 8, capturedLen: 12, origLen: 16, data: 20 } as const;
const SPB = { origLen: 0, data: 4 } as const;

export interface PcapngInterface {
  readonly linkTypeNumber: number;
  /** null when usernet cannot carry this link type; its packets are skipped. */
  readonly linkType: LinkType | null;
  /** 0 means no limit. */
  readonly snaplen: number;
  /** Timestamp units per second, from `if_tsresol` (default 10^6). */
  readonly unitsPerSecond: bigint;
  /** Seconds added to every timestamp, from `if_tsoffset` (default 0). */
  readonly offsetSeconds: bigint;
  /** Which section (0-based) described it. */
  readonly section: number;
}

export interface PcapngFile extends PcapFile {
  readonly format: 'pcapng';
  /** Every interface of every section, in file order; `PcapRecord.interfaceId` indexes this. */
  readonly interfaces: PcapngInterface[];
  /** Packets left out because their interface's link type differs from the file's `linkType`. */
  readonly skippedRecords: number;
}

interface Cursor {
  readonly dv: DataView;
  le: boolean;
}

function u16(c: Cursor, off: number): number {
  return c.dv.getUint16(off, c.le);
}

function u32(c: Cursor, off: number): number {
  return c.dv.getUint32(off, c.le);
}

/** Walks the options in [start, end), calling `each` with the code and value range. */
function forEachOption(c: Cursor, start: number, end: number, each: (code: number, value: number, length: number) => void): void {
  let p = start;
  while (p + 4 <= end) {
    const code = u16(c, p);
    const length = u16(c, p + 2);
    if (code === OPT_ENDOFOPT) return;
    if (p + 4 + length > end) throw new CaptureFormatError(`option ${code} of ${length} bytes overruns its block`, p);
    each(code, p + 4, length);
    p += 4 + ((length + 3) & ~3);
  }
}

function describeInterface(c: Cursor, body: number, bodyEnd: number, section: number): PcapngInterface {
  if (bodyEnd - body < IDB.options) throw new CaptureFormatError('interface description block too short', body - 8);
  const linkTypeNumber = u16(c, body + IDB.linkType);
  let unitsPerSecond = 1_000_000n;
  let offsetSeconds = 0n;
  forEachOption(c, body + IDB.options, bodyEnd, (code, value, length) => {
    if (code === OPT_IF_TSRESOL && length >= 1) {
      const r = c.dv.getUint8(value);
      // MSB clear: a negative power of 10; set: a negative power of 2.
      unitsPerSecond = r & 0x80 ? 1n << BigInt(r & 0x7f) : 10n ** BigInt(r);
    } else if (code === OPT_IF_TSOFFSET && length >= 8) {
      offsetSeconds = c.dv.getBigInt64(value, c.le);
    }
  });
  return { linkTypeNumber, linkType: linkTypeOf(linkTypeNumber), snaplen: u32(c, body + IDB.snaplen), unitsPerSecond, offsetSeconds, section };
}

interface RawRecord {
  readonly interfaceId: number;
  readonly ticks: bigint | null; // null: a simple packet block, which has no timestamp
  readonly dataStart: number;
  readonly capturedLen: number;
  readonly origLen: number;
  readonly truncated: boolean;
}

/**
 * Parses a pcapng file. Record `data` are views into `bytes`. The file's `linkType` is that of
 * the first interface with packets usernet can carry; packets of interfaces with another link
 * type are skipped and counted. Simple packet blocks carry no time: they take the time of the
 * packet before them (0 at the start of the file).
 */
export function readPcapng(bytes: Uint8Array): PcapngFile {
  const c: Cursor = { dv: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), le: true };
  const end = bytes.byteLength;
  const interfaces: PcapngInterface[] = [];
  let sectionInterfaces: number[] | null = null; // section-local id → global id
  let section = -1;
  const raw: RawRecord[] = [];
  let incomplete = false;
  let off = 0;

  while (off < end) {
    if (end - off < BLOCK_OVERHEAD) {
      incomplete = true;
      break;
    }
    const typeBE = c.dv.getUint32(off, false);
    if (typeBE === PCAPNG_SHB_TYPE) {
      // The block type reads the same in both orders; the byte-order magic decides.
      const magic = c.dv.getUint32(off + 8, true);
      if (magic === PCAPNG_BYTE_ORDER_MAGIC) c.le = true;
      else if (c.dv.getUint32(off + 8, false) === PCAPNG_BYTE_ORDER_MAGIC) c.le = false;
      else throw new CaptureFormatError('section header block without the byte-order magic 0x1a2b3c4d', off + 8);
    } else if (sectionInterfaces === null) {
      throw new CaptureFormatError('not a pcapng file: it must begin with a section header block', off);
    }
    const type = u32(c, off);
    const totalLen = u32(c, off + 4);
    if (totalLen < BLOCK_OVERHEAD || totalLen % 4 !== 0) {
      throw new CaptureFormatError(`block of type 0x${type.toString(16)} has impossible length ${totalLen}`, off);
    }
    if (totalLen > end - off) {
      incomplete = true; // the file was cut short inside this block
      break;
    }
    if (u32(c, off + totalLen - 4) !== totalLen) {
      throw new CaptureFormatError(`block of type 0x${type.toString(16)}: trailing length ${u32(c, off + totalLen - 4)} ≠ leading length ${totalLen}`, off);
    }
    const body = off + 8;
    const bodyEnd = off + totalLen - 4;
    const bodyLen = bodyEnd - body;
    const globalInterface = (localId: number): number => {
      const g = sectionInterfaces![localId];
      if (g === undefined) throw new CaptureFormatError(`packet names interface ${localId}, which its section has not described`, off);
      return g;
    };
    const clip = (interfaceId: number, capturedLen: number): { capturedLen: number; truncated: boolean } => {
      const snaplen = interfaces[interfaceId]!.snaplen;
      return snaplen > 0 && capturedLen > snaplen ? { capturedLen: snaplen, truncated: true } : { capturedLen, truncated: false };
    };

    switch (type) {
      case PCAPNG_SHB_TYPE: {
        if (bodyLen < SHB.options) throw new CaptureFormatError('section header block too short', off);
        const major = u16(c, body + SHB.major);
        if (major !== 1) throw new CaptureFormatError(`unsupported pcapng version ${major}.${u16(c, body + SHB.minor)}`, off);
        section++;
        sectionInterfaces = [];
        break;
      }
      case PCAPNG_IDB_TYPE:
        sectionInterfaces!.push(interfaces.length);
        interfaces.push(describeInterface(c, body, bodyEnd, section));
        break;
      case PCAPNG_EPB_TYPE:
      case PCAPNG_OPB_TYPE: {
        const F = type === PCAPNG_EPB_TYPE ? EPB : OPB;
        if (bodyLen < F.data) throw new CaptureFormatError('packet block too short', off);
        const localId = type === PCAPNG_EPB_TYPE ? u32(c, body + EPB.interfaceId) : u16(c, body + OPB.interfaceId);
        const interfaceId = globalInterface(localId);
        const capturedLen = u32(c, body + F.capturedLen);
        if (capturedLen > bodyLen - F.data) {
          throw new CaptureFormatError(`packet claims ${capturedLen} captured bytes in a block with room for ${bodyLen - F.data}`, off);
        }
        const ticks = (BigInt(u32(c, body + F.tsHigh)) << 32n) | BigInt(u32(c, body + F.tsLow));
        raw.push({ interfaceId, ticks, dataStart: body + F.data, origLen: u32(c, body + F.origLen), ...clip(interfaceId, capturedLen) });
        break;
      }
      case PCAPNG_SPB_TYPE: {
        if (bodyLen < SPB.data) throw new CaptureFormatError('simple packet block too short', off);
        const interfaceId = globalInterface(0);
        const origLen = u32(c, body + SPB.origLen);
        // Captured length = min(original length, snaplen, room in the block) (§4.4).
        const snaplen = interfaces[interfaceId]!.snaplen;
        const wanted = snaplen > 0 ? Math.min(origLen, snaplen) : origLen;
        const capturedLen = Math.min(wanted, bodyLen - SPB.data);
        raw.push({ interfaceId, ticks: null, dataStart: body + SPB.data, capturedLen, origLen, truncated: capturedLen < wanted });
        break;
      }
      default:
        break; // name resolution, statistics, custom and unknown blocks: skipped by length
    }
    off += totalLen;
  }

  if (interfaces.length === 0) {
    throw new CaptureFormatError(sectionInterfaces === null ? 'not a pcapng file: no section header block' : 'pcapng file describes no interface');
  }
  const chosen =
    raw.map((r) => interfaces[r.interfaceId]!).find((i) => i.linkType !== null) ?? interfaces.find((i) => i.linkType !== null);
  if (chosen === undefined) {
    throw new CaptureFormatError(`unsupported link type ${interfaces[0]!.linkTypeNumber} (usernet reads Ethernet 1 and raw IP 101, 228, 229)`);
  }

  const records: PcapRecord[] = [];
  let skippedRecords = 0;
  let lastNs = 0n;
  let lastMs = 0;
  for (const r of raw) {
    const iface = interfaces[r.interfaceId]!;
    if (r.ticks !== null) {
      const seconds = r.ticks / iface.unitsPerSecond + iface.offsetSeconds;
      const fraction = r.ticks % iface.unitsPerSecond;
      lastNs = seconds * 1_000_000_000n + (fraction * 1_000_000_000n) / iface.unitsPerSecond;
      lastMs = timeMsOf(seconds, fraction, iface.unitsPerSecond);
    }
    if (iface.linkType !== chosen.linkType) {
      skippedRecords++;
      continue;
    }
    records.push({
      timeMs: lastMs,
      timestampNs: lastNs,
      data: bytes.subarray(r.dataStart, r.dataStart + r.capturedLen),
      origLen: r.origLen,
      truncated: r.truncated,
      interfaceId: r.interfaceId,
    });
  }
  return {
    format: 'pcapng',
    linkType: chosen.linkType!,
    linkTypeNumber: chosen.linkTypeNumber,
    snaplen: chosen.snaplen,
    records,
    incomplete,
    interfaces,
    skippedRecords,
  };
}

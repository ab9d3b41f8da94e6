/**
 * What the pcap and pcapng readers return, and the link-type numbers they understand
 * (tcpdump.org "LINK-LAYER HEADER TYPES"; draft-ietf-opsawg-pcap and draft-ietf-opsawg-pcapng).
 */

import type { LinkType } from '../../stack/link';

export const LINKTYPE_ETHERNET = 1;
/** Raw IP: each record is an IPv4 or IPv6 packet, told apart by its version nibble. */
export const LINKTYPE_RAW = 101;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;

/**
 * libpcap's largest snapshot length (MAXIMUM_SNAPLEN, 256 KiB). A record header claiming more
 * than this is corrupt, not a big packet: the readers stop with an error instead of skipping
 * an arbitrary distance into the file.
 */
export const MAX_RECORD_BYTES = 262_144;

/** Which of our link types a link-type number maps to, or null when we cannot carry it. */
export function linkTypeOf(linkTypeNumber: number): LinkType | null {
  switch (linkTypeNumber) {
    case LINKTYPE_ETHERNET:
      return 'ethernet';
    case LINKTYPE_RAW:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
      return 'ip';
    default:
      return null;
  }
}

/** The number written for our link types: Ethernet (1) or raw IP (101). */
export function linkTypeNumberOf(linkType: LinkType): number {
  return linkType === 'ethernet' ? LINKTYPE_ETHERNET : LINKTYPE_RAW;
}

export interface PcapRecord {
  /**
   * Capture time in milliseconds since the Unix epoch, as a float: handy for a simulated clock.
   * A double keeps about 0.25 µs of precision for present-day dates; `timestampNs` is exact.
   */
  readonly timeMs: number;
  /** The same time in nanoseconds since the epoch, exact for every resolution the file can hold. */
  readonly timestampNs: bigint;
  /** The captured bytes: a view into the file's buffer (copy before changing or keeping long). */
  readonly data: Uint8Array;
  /** The packet's length on the wire; larger than `data.length` when the capture was snapped. */
  readonly origLen: number;
  /**
   * True when `data` is not everything the record header announced: the file ends inside the
   * record, or the record claims more bytes than the file's snaplen (data is cut to snaplen).
   */
  readonly truncated: boolean;
  /** pcapng only: the index (over all sections) of the interface the packet was captured on. */
  readonly interfaceId?: number;
}

export interface PcapFile {
  readonly format: 'pcap' | 'pcapng';
  /** How to read each record's data: an Ethernet frame or a bare IP packet. */
  readonly linkType: LinkType;
  /** The number from the file (1, 101, 228 or 229). */
  readonly linkTypeNumber: number;
  /** The file's maximum captured length per record (0 in pcapng means "no limit"). */
  readonly snaplen: number;
  readonly records: PcapRecord[];
  /** True when the file ends in the middle of a record header or block; those bytes are ignored. */
  readonly incomplete: boolean;
}

/** A capture file that cannot be read: bad magic, impossible lengths, unsupported link type. */
export class CaptureFormatError extends Error {
  readonly code = 'ERR_CAPTURE_FORMAT';

  constructor(message: string, readonly offset?: number) {
    super(offset === undefined ? message : `${message} (at byte ${offset})`);
    this.name = 'CaptureFormatError';
  }
}

/** Milliseconds as a float from whole seconds and a fraction in `unitsPerSecond` units. */
export function timeMsOf(seconds: bigint, fraction: bigint, unitsPerSecond: bigint): number {
  return Number(seconds) * 1000 + (Number(fraction) * 1000) / Number(unitsPerSecond);
}

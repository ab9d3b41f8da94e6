/**
 * Ethernet II frames (IEEE 802.3 §3.2 with the DIX type field) and IEEE 802.1Q / 802.1ad VLAN
 * tags: one C-tag, or an S-tag followed by a C-tag (QinQ). The FCS is not part of what drivers
 * hand us (TAP and pcap strip it), so it is neither read nor written here.
 */

import { Drop, drop } from './drop';
import { MacAddress, formatMac } from './address';
import { ETHERTYPE_MIN, EtherType, etherTypeName } from './ip-protocol';
import { copyPayloadUnlessInPlace } from './payload';

const F = { destination: 0, source: 6, etherType: 12 } as const;
export const ETHERNET_HEADER_LEN = 14;
/** A VLAN tag: TPID (2 bytes) and TCI (2 bytes: PCP 3 bits, DEI 1 bit, VID 12 bits). */
export const VLAN_TAG_LEN = 4;
/** At most an S-tag and a C-tag; a third tag is refused rather than walked without bound. */
export const MAX_VLAN_TAGS = 2;

function isTagType(t: number): boolean {
  return t === EtherType.VLAN || t === EtherType.QinQ;
}

export interface VlanTag {
  /** Tag protocol identifier: 0x8100 (C-tag) or 0x88a8 (S-tag). */
  tpid: number;
  /** Priority code point (IEEE 802.1Q §6.9.3), 0–7. */
  pcp: number;
  /** Drop eligible indicator. */
  dei: boolean;
  /** VLAN identifier, 0–4095. */
  vid: number;
}

export class EthernetView {
  private constructor(
    private readonly b: Uint8Array,
    /** Number of VLAN tags between the source address and the EtherType: 0, 1 or 2. */
    readonly tagCount: number,
  ) {}

  /**
   * For untrusted bytes: the 14-byte header and every VLAN tag it announces are present. Once
   * this returns a view, no getter reads out of bounds.
   */
  static check(b: Uint8Array): EthernetView | Drop {
    if (b.length < ETHERNET_HEADER_LEN) return drop('eth-truncated');
    let tags = 0;
    while (isTagType((b[F.etherType + VLAN_TAG_LEN * tags]! << 8) | b[F.etherType + VLAN_TAG_LEN * tags + 1]!)) {
      if (tags === MAX_VLAN_TAGS) return drop('eth-too-many-tags');
      tags++;
      if (b.length < ETHERNET_HEADER_LEN + VLAN_TAG_LEN * tags) return drop('eth-truncated');
    }
    return new EthernetView(b, tags);
  }

  get destination(): MacAddress {
    return this.b.subarray(F.destination, F.destination + 6);
  }

  get source(): MacAddress {
    return this.b.subarray(F.source, F.source + 6);
  }

  /** The EtherType after any VLAN tags. */
  get etherType(): number {
    const o = F.etherType + VLAN_TAG_LEN * this.tagCount;
    return (this.b[o]! << 8) | this.b[o + 1]!;
  }

  get headerLen(): number {
    return ETHERNET_HEADER_LEN + VLAN_TAG_LEN * this.tagCount;
  }

  /** Tag `i` (0 = outermost); `i` must be below `tagCount`. */
  tag(i: number): VlanTag {
    const o = F.etherType + VLAN_TAG_LEN * i;
    const tci = (this.b[o + 2]! << 8) | this.b[o + 3]!;
    return { tpid: (this.b[o]! << 8) | this.b[o + 1]!, pcp: tci >> 13, dei: (tci & 0x1000) !== 0, vid: tci & 0x0fff };
  }

  /** The innermost tag's VLAN id (the C-tag in QinQ), or undefined for an untagged frame. */
  get vlanId(): number | undefined {
    return this.tagCount === 0 ? undefined : this.tag(this.tagCount - 1).vid;
  }

  /** The innermost tag's priority code point, or undefined for an untagged frame. */
  get pcp(): number | undefined {
    return this.tagCount === 0 ? undefined : this.tag(this.tagCount - 1).pcp;
  }

  /** Everything after the header, including any padding up to the 60-byte minimum frame. */
  get payload(): Uint8Array {
    return this.b.subarray(this.headerLen);
  }

  toString(): string {
    let s = `${formatMac(this.source)} > ${formatMac(this.destination)}`;
    for (let i = 0; i < this.tagCount; i++) s += `, ${describeTag(this.tag(i))}`;
    return `${s}, ethertype ${etherTypeName(this.etherType)}, length ${this.b.length}`;
  }
}

export interface EthernetRepr {
  dst: MacAddress;
  src: MacAddress;
  /** The EtherType of the payload (after the tags). */
  etherType: number;
  /** Present only on tagged frames, outermost first. */
  vlan?: VlanTag[];
  /** A view into the frame when parsed (may include padding); the bytes to send when emitted. */
  payload: Uint8Array;
}

/**
 * For untrusted bytes: a whole Ethernet II header (`EthernetView.check`) whose EtherType is one —
 * an IEEE 802.3 length field in its place is dropped. Read in place, as the receive path does.
 */
export function checkEthernetII(b: Uint8Array): EthernetView | Drop {
  const v = EthernetView.check(b);
  if (v instanceof Drop) return v;
  if (v.etherType < ETHERTYPE_MIN) return drop('eth-8023-frame');
  return v;
}

/** Parses a frame; 802.3 length-field frames (LLC/SNAP) are dropped as `'eth-8023-frame'`. */
export function parseEthernet(b: Uint8Array): EthernetRepr | Drop {
  const v = checkEthernetII(b);
  if (v instanceof Drop) return v;
  const repr: EthernetRepr = { dst: v.destination, src: v.source, etherType: v.etherType, payload: v.payload };
  if (v.tagCount > 0) {
    repr.vlan = [];
    for (let i = 0; i < v.tagCount; i++) repr.vlan.push(v.tag(i));
  }
  return repr;
}

export function ethernetHeaderLen(repr: EthernetRepr): number {
  return ETHERNET_HEADER_LEN + VLAN_TAG_LEN * (repr.vlan?.length ?? 0);
}

/**
 * Writes the header at `into[offset..]` and then the payload, unless `repr.payload` already
 * sits right after the header in the same buffer (an upper layer emitted it in place).
 * Returns the number of bytes written (header + payload). Throws RangeError on a repr that
 * cannot be encoded (more than two tags, a VID above 4095) — that is a caller bug, not input.
 */
export function emitEthernet(repr: EthernetRepr, into: Uint8Array, offset = 0): number {
  const tags = repr.vlan ?? [];
  if (tags.length > MAX_VLAN_TAGS) throw new RangeError(`at most ${MAX_VLAN_TAGS} VLAN tags`);
  into.set(repr.dst.subarray(0, 6), offset + F.destination);
  into.set(repr.src.subarray(0, 6), offset + F.source);
  let o = offset + F.etherType;
  for (const t of tags) {
    if (t.vid > 0xfff || t.pcp > 7) throw new RangeError('VLAN vid or pcp out of range');
    const tci = (t.pcp << 13) | (t.dei ? 0x1000 : 0) | t.vid;
    into[o] = t.tpid >> 8;
    into[o + 1] = t.tpid & 0xff;
    into[o + 2] = tci >> 8;
    into[o + 3] = tci & 0xff;
    o += VLAN_TAG_LEN;
  }
  into[o] = repr.etherType >> 8;
  into[o + 1] = repr.etherType & 0xff;
  o += 2;
  copyPayloadUnlessInPlace(repr.payload, into, o);
  return o + repr.payload.length - offset;
}

/**
 * Writes an untagged Ethernet II header (the 14 bytes `emitEthernet` writes for a repr without
 * VLAN tags) at `into[0..14)`, leaving the payload after it untouched: for frames whose payload
 * was emitted in place. Allocates nothing.
 */
export function writeEthernetHeader(into: Uint8Array, dst: MacAddress, src: MacAddress, etherType: number): void {
  for (let i = 0; i < 6; i++) {
    into[F.destination + i] = dst[i]!;
    into[F.source + i] = src[i]!;
  }
  into[F.etherType] = etherType >> 8;
  into[F.etherType + 1] = etherType & 0xff;
}

function describeTag(t: VlanTag): string {
  return `${t.tpid === EtherType.QinQ ? '802.1ad' : '802.1Q'} vlan ${t.vid} p ${t.pcp}${t.dei ? ' DEI' : ''}`;
}

/** tcpdump -e style: `02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP, length 42`. */
export function describeEthernet(repr: EthernetRepr): string {
  let s = `${formatMac(repr.src)} > ${formatMac(repr.dst)}`;
  for (const t of repr.vlan ?? []) s += `, ${describeTag(t)}`;
  return `${s}, ethertype ${etherTypeName(repr.etherType)}, length ${ethernetHeaderLen(repr) + repr.payload.length}`;
}

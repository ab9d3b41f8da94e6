/**
 * Fuzz support: mutations of seed frames, all drawn from one seeded `Prng` so that a seed replays
 * a run exactly. Generic mutations (bit flips, byte sets, interesting values, truncation,
 * extension, splicing, block copies) work on any bytes; layer-aware ones (length-field lies,
 * TCP/NDP/IPv6 option soups) use `layoutOf` to aim at the fields parsers trust least.
 */

import type { Prng } from '../../drivers/prng';
import { EtherType, IpProtocol } from '../../stack/wire/ip-protocol';
import { fixChecksums, layoutOf } from './layout';

/** Longest input a mutation may produce: a jumbo-ish frame, enough to cross every 16-bit length. */
export const MAX_MUTANT_BYTES = 9000;

const INTERESTING_8 = [0, 1, 2, 4, 5, 6, 8, 0x0f, 0x10, 0x3f, 0x40, 0x7f, 0x80, 0xfe, 0xff];
const INTERESTING_16 = [0, 1, 7, 8, 20, 39, 40, 41, 60, 0x5ff, 0x600, 0x7fff, 0x8000, 0xfff7, 0xfffe, 0xffff,
  ...Object.values(EtherType)];
const INTERESTING_32 = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

export function pick<T>(rng: Prng, xs: readonly T[]): T {
  return xs[rng.nextInt(xs.length)]!;
}

function randomBytes(rng: Prng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rng.nextInt(256);
  return b;
}

function put(b: Uint8Array, o: number, v: number, width: 1 | 2 | 4): void {
  for (let i = 0; i < width && o + i < b.length; i++) b[o + i] = (v >>> (8 * (width - 1 - i))) & 0xff;
}

/** Somewhere in a frame a parser is likely to care about: mostly the first 80 bytes. */
function offsetIn(rng: Prng, len: number): number {
  if (len === 0) return 0;
  return rng.nextFloat() < 0.75 ? rng.nextInt(Math.min(len, 80)) : rng.nextInt(len);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.min(MAX_MUTANT_BYTES, a.length + b.length));
  out.set(a.subarray(0, out.length));
  if (a.length < out.length) out.set(b.subarray(0, out.length - a.length), a.length);
  return out;
}

/** Positions (and widths) of the length and offset fields of the frame's layers. */
function lengthFields(f: Uint8Array): Array<[number, 1 | 2]> {
  const l = layoutOf(f);
  const fields: Array<[number, 1 | 2]> = [];
  if (l.arp >= 0) fields.push([l.arp + 4, 1], [l.arp + 5, 1]);
  if (l.version === 4) fields.push([l.ip, 1], [l.ip + 2, 2], [l.ip + 6, 2]);
  if (l.version === 6) fields.push([l.ip + 4, 2], [l.ip + 6, 1], [l.ip + 41, 1]);
  if (l.l4 >= 0) {
    if (l.protocol === IpProtocol.TCP) fields.push([l.l4 + 12, 1], [l.l4 + 21, 1]);
    if (l.protocol === IpProtocol.UDP) fields.push([l.l4 + 4, 2]);
    if (l.protocol === IpProtocol.ICMPv6) fields.push([l.l4 + 25, 1], [l.l4 + 33, 1], [l.l4 + 41, 1]);
    if (l.protocol === IpProtocol.ICMP || l.protocol === IpProtocol.ICMPv6) fields.push([l.l4 + 8, 1], [l.l4 + 10, 2]);
  }
  return fields.filter(([o, w]) => o + w <= f.length);
}

/** A run of options of known and unknown kinds with honest, short, long and zero lengths. */
function optionSoup(rng: Prng, kinds: readonly number[], unit: 1 | 8, room: number): Uint8Array {
  const out: number[] = [];
  while (out.length < room) {
    const kind = rng.nextFloat() < 0.8 ? pick(rng, kinds) : rng.nextInt(256);
    out.push(kind);
    if (unit === 1 && (kind === 0 || kind === 1)) continue;
    const honest = unit === 1 ? [2, 3, 4, 8, 10, 18, 34][rng.nextInt(7)]! : 1 + rng.nextInt(4);
    const len = rng.nextFloat() < 0.7 ? honest : pick(rng, INTERESTING_8);
    out.push(len);
    const body = Math.max(0, Math.min(room - out.length, len * unit - 2));
    for (let i = 0; i < body; i++) out.push(rng.nextFloat() < 0.5 ? 0 : rng.nextInt(256));
  }
  return Uint8Array.from(out.slice(0, room));
}

/** Replaces a TCP header's options, an NDP message's options, or an IPv6 extension header's body. */
function soup(rng: Prng, f: Uint8Array): Uint8Array {
  const l = layoutOf(f);
  if (l.l4 < 0) return f;
  const out = Uint8Array.from(f);
  if (l.protocol === IpProtocol.TCP && l.l4 + 20 <= out.length) {
    const words = 1 + rng.nextInt(10);
    const opts = optionSoup(rng, [0, 1, 2, 3, 4, 5, 8, 30, 34, 253], 1, words * 4);
    out[l.l4 + 12] = ((5 + words) << 4) | (out[l.l4 + 12]! & 0x0f);
    const grown = concat(concat(out.subarray(0, l.l4 + 20), opts), out.subarray(l.l4 + 20));
    return lieAboutIpLength(grown, opts.length);
  }
  if (l.protocol === IpProtocol.ICMPv6 && l.l4 + 24 <= out.length) {
    const opts = optionSoup(rng, [1, 2, 3, 4, 5, 14, 25, 31], 8, 8 * (1 + rng.nextInt(6)));
    const at = l.l4 + (out[l.l4] === 134 ? 16 : out[l.l4] === 137 ? 40 : 24);
    return lieAboutIpLength(concat(out.subarray(0, Math.min(at, out.length)), opts), opts.length - (l.end - Math.min(at, l.end)));
  }
  if (l.version === 6 && l.ip + 48 <= out.length) {
    // Insert a Destination Options / Hop-by-Hop header full of options before the upper layer.
    const nh = pick(rng, [IpProtocol.HopByHop, IpProtocol.IPv6Opts, IpProtocol.IPv6Route, IpProtocol.IPv6Frag, IpProtocol.AH]);
    const body = optionSoup(rng, [0, 1, 5, 0xc2, 0x80], 1, 6 + 8 * rng.nextInt(3));
    const ext = Uint8Array.from([out[l.ip + 6]!, body.length / 8, ...body]);
    out[l.ip + 6] = nh;
    return lieAboutIpLength(concat(concat(out.subarray(0, l.ip + 40), ext), out.subarray(l.ip + 40)), ext.length);
  }
  return out;
}

/** Adds `delta` to the IP length field so it stays honest after bytes were inserted. */
function lieAboutIpLength(f: Uint8Array, delta: number): Uint8Array {
  const l = layoutOf(f);
  if (l.version === 4) put(f, l.ip + 2, ((f[l.ip + 2]! << 8) | f[l.ip + 3]!) + delta, 2);
  if (l.version === 6) put(f, l.ip + 4, ((f[l.ip + 4]! << 8) | f[l.ip + 5]!) + delta, 2);
  return f;
}

export type MutationName =
  | 'bit-flip' | 'byte-set' | 'interesting' | 'truncate' | 'extend' | 'splice'
  | 'block-copy' | 'length-lie' | 'option-soup' | 'vlan-tag';

export const MUTATIONS: readonly MutationName[] = [
  'bit-flip', 'byte-set', 'interesting', 'truncate', 'extend', 'splice', 'block-copy', 'length-lie', 'option-soup',
  'vlan-tag',
];

/** One mutation of `f` (never modified); `corpus` supplies the other half of a splice. */
export function mutateOnce(rng: Prng, f: Uint8Array, corpus: readonly Uint8Array[], kind: MutationName): Uint8Array {
  const out = Uint8Array.from(f);
  switch (kind) {
    case 'bit-flip': {
      if (out.length === 0) return out;
      const o = offsetIn(rng, out.length);
      out[o] = out[o]! ^ (1 << rng.nextInt(8));
      return out;
    }
    case 'byte-set':
      if (out.length > 0) out[offsetIn(rng, out.length)] = rng.nextInt(256);
      return out;
    case 'interesting': {
      const w = pick(rng, [1, 2, 4] as const);
      const v = w === 1 ? pick(rng, INTERESTING_8) : w === 2 ? pick(rng, INTERESTING_16) : pick(rng, INTERESTING_32);
      put(out, offsetIn(rng, out.length), v, w);
      return out;
    }
    case 'truncate':
      return out.subarray(0, rng.nextInt(out.length + 1));
    case 'extend':
      return concat(out, randomBytes(rng, 1 + rng.nextInt(rng.nextFloat() < 0.9 ? 64 : 4000)));
    case 'splice': {
      const other = corpus.length > 0 ? pick(rng, corpus) : out;
      return concat(out.subarray(0, rng.nextInt(out.length + 1)), other.subarray(rng.nextInt(other.length + 1)));
    }
    case 'block-copy': {
      if (out.length < 2) return out;
      const from = rng.nextInt(out.length);
      const to = rng.nextInt(out.length);
      const n = rng.nextInt(Math.min(out.length - from, out.length - to, 32) + 1);
      out.copyWithin(to, from, from + n);
      return out;
    }
    case 'length-lie': {
      const fields = lengthFields(out);
      if (fields.length === 0) return mutateOnce(rng, f, corpus, 'interesting');
      const [o, w] = pick(rng, fields);
      const current = w === 1 ? out[o]! : (out[o]! << 8) | out[o + 1]!;
      const v = rng.nextFloat() < 0.5 ? current + pick(rng, [-9, -8, -4, -1, 1, 4, 8, 9]) : w === 1 ? pick(rng, INTERESTING_8) : pick(rng, INTERESTING_16);
      put(out, o, v & (w === 1 ? 0xff : 0xffff), w);
      return out;
    }
    case 'option-soup':
      return soup(rng, out);
    case 'vlan-tag': {
      // One more 802.1Q/802.1ad tag after the addresses (stacked tags, QinQ, one too many).
      if (out.length < 12) return out;
      const tpid = pick(rng, [EtherType.VLAN, EtherType.QinQ]);
      const tag = Uint8Array.of(tpid >> 8, tpid & 0xff, rng.nextInt(256), rng.nextInt(256));
      return concat(concat(out.subarray(0, 12), tag), out.subarray(12));
    }
  }
}

/**
 * A mutant of a frame from `corpus`: one to four stacked mutations, then (three times in four)
 * checksums fixed so the mutant gets past them to the code behind.
 */
export function mutant(rng: Prng, corpus: readonly Uint8Array[]): Uint8Array {
  let f = pick(rng, corpus);
  const n = 1 + rng.nextInt(4);
  for (let i = 0; i < n; i++) f = mutateOnce(rng, f, corpus, pick(rng, MUTATIONS));
  return rng.nextFloat() < 0.75 ? fixChecksums(Uint8Array.from(f)) : f;
}

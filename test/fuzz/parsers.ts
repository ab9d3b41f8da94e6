/**
 * Fuzz targets for every wire parser (and the frame decoder behind `usernet decode`). Each target
 * takes a whole (possibly mutated) Ethernet frame, cuts out its layer with the forgiving
 * `layoutOf`, parses it, and checks the contract: no exception, the result is a repr or a `Drop`
 * with a reason, and where a repr came back, `emit` then `parse` again gives the same repr and
 * the same bytes (`parse(emit(parse(x)))` is a fixpoint). A broken contract throws `FuzzFailure`.
 */

import { Drop, isDrop } from '../../stack/wire/drop';
import { pseudoHeaderSumV4, pseudoHeaderSumV6 } from '../../stack/wire/checksum';
import { IpProtocol } from '../../stack/wire/ip-protocol';
import { emitEthernet, ethernetHeaderLen, parseEthernet } from '../../stack/wire/ethernet';
import { emitArp, parseArp } from '../../stack/wire/arp';
import { emitIpv4, ipv4HeaderLen, parseIpv4 } from '../../stack/wire/ipv4';
import { emitIpv6, parseIpv6 } from '../../stack/wire/ipv6';
import { walkIpv6Extensions } from '../../stack/wire/ipv6-ext';
import { emitTcp, parseTcp, tcpHeaderLen, type TcpRepr } from '../../stack/wire/tcp';
import { tcpSackBlocksEmitted } from '../../stack/wire/tcp-options';
import { emitUdp, parseUdp, udpLen } from '../../stack/wire/udp';
import { emitIcmpv4, icmpv4Len, parseIcmpv4 } from '../../stack/wire/icmpv4';
import { emitIcmpv6, icmpv6Len, parseIcmpv6 } from '../../stack/wire/icmpv6';
import { decodeFrame } from '../../src/decode/frame';
import { formatFrameLine } from '../../src/decode/format';
import { layoutOf } from './layout';

export class FuzzFailure extends Error {
  constructor(readonly target: string, message: string, readonly input: Uint8Array) {
    super(`${target}: ${message}`);
  }
}

export interface ParserTarget {
  readonly name: string;
  /** Runs the target on one frame; returns whether the parser accepted it (repr) or why not. */
  run(frame: Uint8Array): 'repr' | Drop;
}

/** Deep equality for reprs: plain objects, arrays, numbers, strings, booleans and byte arrays. */
export function sameValue(a: unknown, b: unknown, path = 'repr'): string | null {
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array)) return `${path}: one side is not bytes`;
    if (a.length !== b.length) return `${path}: ${a.length} bytes vs ${b.length}`;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `${path}[${i}]: ${a[i]} vs ${b[i]}`;
    return null;
  }
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
    return Object.is(a, b) ? null : `${path}: ${String(a)} vs ${String(b)}`;
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined).sort();
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined).sort();
  if (ka.join() !== kb.join()) return `${path}: fields {${ka.join()}} vs {${kb.join()}}`;
  for (const k of ka) {
    const d = sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    if (d !== null) return d;
  }
  return null;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return sameValue(a, b) === null;
}

/**
 * The round-trip check shared by every target: `emit(first)` parses back to a repr equal to
 * `expect(first)` (the repr itself unless emission is documented to normalise it), and emitting
 * that again gives the same bytes.
 */
export function roundTrip<R>(target: string, input: Uint8Array, first: R, emit: (r: R) => Uint8Array, parse: (b: Uint8Array) => R | Drop, expect: (r: R) => unknown = (r) => r): void {
  const e1 = emit(first);
  const second = parse(e1);
  if (isDrop(second)) throw new FuzzFailure(target, `re-emitted repr does not parse: ${second.reason}`, input);
  const diff = sameValue(expect(first), second);
  if (diff !== null) throw new FuzzFailure(target, `parse(emit(parse(x))) differs: ${diff}`, input);
  const e2 = emit(second);
  if (!bytesEqual(e1, e2)) throw new FuzzFailure(target, 'emit is not a fixpoint after one round', input);
}

export function guard(target: string, input: Uint8Array, body: () => unknown): 'repr' | Drop {
  let r: unknown;
  try {
    r = body();
  } catch (e) {
    if (e instanceof FuzzFailure) throw e;
    throw new FuzzFailure(target, `exception escaped: ${e instanceof Error ? e.stack ?? e.message : String(e)}`, input);
  }
  if (isDrop(r)) {
    if (typeof r.reason !== 'string' || r.reason === '') throw new FuzzFailure(target, 'drop without a reason', input);
    return r;
  }
  if (typeof r !== 'object' || r === null) throw new FuzzFailure(target, `neither a repr nor a Drop: ${String(r)}`, input);
  return 'repr';
}

/** The IP addresses of a frame's packet, for pseudo-header sums (zeros when there are none). */
function pseudo(frame: Uint8Array, protocol: number, len: number): number {
  const l = layoutOf(frame);
  if (l.version === 6) return pseudoHeaderSumV6(frame.subarray(l.ip + 8, l.ip + 24), frame.subarray(l.ip + 24, l.ip + 40), protocol, len);
  if (l.version === 4) {
    const r = (o: number): number => ((frame[o]! << 24) | (frame[o + 1]! << 16) | (frame[o + 2]! << 8) | frame[o + 3]!) >>> 0;
    return pseudoHeaderSumV4(r(l.ip + 12), r(l.ip + 16), protocol, len);
  }
  return pseudoHeaderSumV4(0, 0, protocol, len);
}

/** The upper-layer bytes of a frame, or (when the layout gives none) whatever follows 34 bytes. */
function upper(frame: Uint8Array): Uint8Array {
  const l = layoutOf(frame);
  return l.l4 >= 0 ? frame.subarray(l.l4, l.end) : frame.subarray(Math.min(frame.length, 34));
}

function ipPacket(frame: Uint8Array): Uint8Array {
  return frame.subarray(Math.min(frame.length, 14));
}

/** SACK blocks beyond what fits in the Linux option layout are left out on emission (tcp-options.ts). */
function emittedTcp(r: TcpRepr): TcpRepr {
  if (r.options.sack === undefined) return r;
  const n = tcpSackBlocksEmitted(r.options);
  const { sack, ...rest } = r.options;
  return { ...r, options: n === 0 ? rest : { ...rest, sack: sack.slice(0, n) } };
}

export const PARSER_TARGETS: readonly ParserTarget[] = [
  {
    name: 'ethernet',
    run: (f) => guard('ethernet', f, () => {
      const r = parseEthernet(f);
      if (!isDrop(r)) {
        roundTrip('ethernet', f, r, (x) => {
          const b = new Uint8Array(ethernetHeaderLen(x) + x.payload.length);
          emitEthernet(x, b);
          return b;
        }, parseEthernet);
      }
      return r;
    }),
  },
  {
    name: 'arp',
    run: (f) => guard('arp', f, () => {
      const b = ipPacket(f);
      const r = parseArp(b);
      if (!isDrop(r)) {
        roundTrip('arp', f, r, (x) => {
          const o = new Uint8Array(28);
          emitArp(x, o);
          return o;
        }, parseArp);
      }
      return r;
    }),
  },
  {
    name: 'ipv4',
    run: (f) => guard('ipv4', f, () => {
      const r = parseIpv4(ipPacket(f));
      if (!isDrop(r)) {
        roundTrip('ipv4', f, r, (x) => {
          const o = new Uint8Array(ipv4HeaderLen(x) + x.payload.length);
          emitIpv4(x, o);
          return o;
        }, parseIpv4);
      }
      return r;
    }),
  },
  {
    name: 'ipv6',
    run: (f) => guard('ipv6', f, () => {
      const p = ipPacket(f);
      const r = parseIpv6(p);
      if (!isDrop(r)) {
        roundTrip('ipv6', f, r, (x) => {
          const o = new Uint8Array(40 + x.payload.length);
          emitIpv6(x, o);
          return o;
        }, parseIpv6);
        // The walk on its own, over every tail of the packet: never out of bounds.
        for (let s = 40; s <= Math.min(p.length, 120); s += 8) walkIpv6Extensions(p, p[6] ?? 0, s, p.length);
      }
      return r;
    }),
  },
  {
    name: 'tcp',
    run: (f) => guard('tcp', f, () => {
      const seg = upper(f);
      parseTcp(seg); // without a checksum: reaches the option walk on every mutant
      const r = parseTcp(seg, pseudo(f, IpProtocol.TCP, seg.length));
      if (!isDrop(r)) {
        const emit = (x: TcpRepr): Uint8Array => {
          const o = new Uint8Array(tcpHeaderLen(x) + x.payload.length);
          emitTcp(x, o, pseudo(f, IpProtocol.TCP, o.length));
          return o;
        };
        roundTrip('tcp', f, r, emit, (b) => parseTcp(b, pseudo(f, IpProtocol.TCP, b.length)), emittedTcp);
      }
      return r;
    }),
  },
  {
    name: 'udp',
    run: (f) => guard('udp', f, () => {
      const d = upper(f);
      const v6 = layoutOf(f).version === 6;
      const r = parseUdp(d, pseudo(f, IpProtocol.UDP, d.length), v6);
      if (!isDrop(r)) {
        roundTrip('udp', f, r, (x) => {
          const o = new Uint8Array(udpLen(x));
          emitUdp(x, o, pseudo(f, IpProtocol.UDP, o.length), v6);
          return o;
        }, (b) => parseUdp(b, pseudo(f, IpProtocol.UDP, b.length), v6));
      }
      return r;
    }),
  },
  {
    name: 'icmpv4',
    run: (f) => guard('icmpv4', f, () => {
      const r = parseIcmpv4(upper(f));
      if (!isDrop(r)) {
        roundTrip('icmpv4', f, r, (x) => {
          const o = new Uint8Array(icmpv4Len(x));
          emitIcmpv4(x, o);
          return o;
        }, (b) => parseIcmpv4(b));
      }
      return r;
    }),
  },
  {
    name: 'icmpv6',
    run: (f) => guard('icmpv6', f, () => {
      const m = upper(f);
      parseIcmpv6(m);
      const r = parseIcmpv6(m, pseudo(f, IpProtocol.ICMPv6, m.length));
      if (!isDrop(r)) {
        roundTrip('icmpv6', f, r, (x) => {
          const o = new Uint8Array(icmpv6Len(x));
          emitIcmpv6(x, o, pseudo(f, IpProtocol.ICMPv6, o.length));
          return o;
        }, (b) => parseIcmpv6(b, pseudo(f, IpProtocol.ICMPv6, b.length)));
      }
      return r;
    }),
  },
  {
    name: 'decode',
    run: (f) => guard('decode', f, () => {
      const d = decodeFrame(f, 'ethernet');
      formatFrameLine(d);
      return d;
    }),
  },
];

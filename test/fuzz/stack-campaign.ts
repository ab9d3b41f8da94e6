/**
 * The stack input-path fuzzer: hostile frames between good ones, into both ends of two open TCP
 * connections (FuzzNet). Hostile frames are mutants of the connection's own recent frames, of
 * fixture frames re-addressed to the stacks, structured-random frames addressed to them, and
 * plain noise. Checked: no exception escapes `Stack.input`; every byte arrives once and in order
 * while the hostility goes on; afterwards the connections still carry data and close cleanly,
 * every table drains, and the heap did not grow without bound. Deterministic for a seed.
 */

import { setFlagsFromString } from 'v8';
import { runInNewContext } from 'vm';
import { Xoshiro128, type Prng } from '../../drivers/prng';
import { EtherType } from '../../stack/wire/ip-protocol';
import { fixtureCorpus } from './corpus';
import { randomFrame } from './generate';
import { fixChecksums, layoutOf } from './layout';
import { mutant, pick } from './mutate';
import { FuzzFailure, hex } from './campaign';
import { stackAddresses, verdict, type Verdict } from './forgery';
import { FuzzNet, SERVER_PORT } from './stack-net';

export interface StackCampaign {
  seed: number;
  iterations?: number;
  /** Wall-clock end (Date.now() ms). */
  deadline?: number;
  /** Heap growth allowed between the first and the last measurement, in bytes. */
  heapSlackBytes?: number;
}

export interface StackCampaignResult {
  iterations: number;
  injected: number;
  skipped: Record<Exclude<Verdict, 'inject'>, number>;
  bytesDelivered: number;
  heapGrowthBytes: number | null;
  /** Largest number of control blocks either stack held at once. */
  maxConnections: number;
  /** Both stacks' drop counts by layer and reason, and the TCP engines' counters of interest. */
  drops: Record<string, number>;
}

const ENGINE_COUNTERS = ['no-connection', 'rst-sent', 'syn-dropped-half-open-full', 'icmp-ignored', 'state:SYN-RECEIVED', 'retransmits'];

function dropSummary(n: FuzzNet): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of n.stacks) {
    for (const [layer, reasons] of Object.entries(s.counters().drops)) {
      for (const [reason, count] of Object.entries(reasons ?? {})) out[`${layer}:${reason}`] = (out[`${layer}:${reason}`] ?? 0) + (count ?? 0);
    }
    for (const k of ENGINE_COUNTERS) out[`engine:${k}`] = (out[`engine:${k}`] ?? 0) + s.tcp.counter(k);
  }
  return out;
}

const MAC_A = (n: FuzzNet): Uint8Array => n.ia.mac!;
const MAC_B = (n: FuzzNet): Uint8Array => n.ib.mac!;

/** Re-addresses a frame (in place) from `from` to `to`: MACs, IPv4/IPv6 addresses, ARP target. */
function retarget(f: Uint8Array, toMac: Uint8Array, fromMac: Uint8Array, v4: [number, number], v6: [Uint8Array, Uint8Array]): Uint8Array {
  if (f.length < 14) return f;
  f.set(toMac, 0);
  f.set(fromMac, 6);
  const l = layoutOf(f);
  const put32 = (o: number, v: number): void => {
    if (o + 4 <= f.length) for (let i = 0; i < 4; i++) f[o + i] = (v >>> (24 - 8 * i)) & 0xff;
  };
  if (l.version === 4) {
    put32(l.ip + 12, v4[0]);
    put32(l.ip + 16, v4[1]);
  } else if (l.version === 6 && l.ip + 40 <= f.length) {
    f.set(v6[0], l.ip + 8);
    f.set(v6[1], l.ip + 24);
  } else if (l.arp >= 0) {
    put32(l.arp + 24, v4[1]);
  }
  return fixChecksums(f);
}

/**
 * Points a TCP or UDP frame at the ports in use (the listeners, the connections' own ports) half
 * of the time, so hostile segments reach listeners and control blocks, not just the RST path.
 */
function aim(rng: Prng, n: FuzzNet, f: Uint8Array): Uint8Array {
  const l = layoutOf(f);
  if (l.l4 < 0 || l.l4 + 4 > f.length || rng.nextFloat() < 0.5) return f;
  const conns = n.a.tcp.allConnections().concat(n.b.tcp.allConnections());
  const c = conns.length > 0 && rng.nextFloat() < 0.6 ? pick(rng, conns) : null;
  const dst = c !== null ? c.localPort : pick(rng, [SERVER_PORT, 8080]);
  f[l.l4 + 2] = dst >> 8;
  f[l.l4 + 3] = dst & 0xff;
  if (c !== null) {
    f[l.l4] = c.remotePort >> 8;
    f[l.l4 + 1] = c.remotePort & 0xff;
  }
  return fixChecksums(f);
}

function hostile(rng: Prng, n: FuzzNet, side: 'a' | 'b'): Uint8Array {
  return aim(rng, n, source(rng, n, side));
}

function source(rng: Prng, n: FuzzNet, side: 'a' | 'b'): Uint8Array {
  const [toMac, fromMac] = side === 'a' ? [MAC_A(n), MAC_B(n)] : [MAC_B(n), MAC_A(n)];
  const v4: [number, number] = side === 'a' ? [0x0a000002, 0x0a000001] : [0x0a000001, 0x0a000002];
  const six = (last: number): Uint8Array => Uint8Array.of(0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last);
  const v6: [Uint8Array, Uint8Array] = side === 'a' ? [six(2), six(1)] : [six(1), six(2)];
  const u = rng.nextFloat();
  if (u < 0.45 && n.recent.length > 0) return mutant(rng, n.recent);
  if (u < 0.75) {
    const seed = retarget(Uint8Array.from(pick(rng, fixtureCorpus())), toMac, fromMac, v4, v6);
    return rng.nextFloat() < 0.2 ? seed : mutant(rng, [seed]);
  }
  if (u < 0.95) {
    // Peers other than the real one (x.x.x.9 / ::9) too, so listeners see strangers' SYNs.
    const stranger = rng.nextFloat() < 0.5;
    const f = randomFrame(rng, { mac: toMac, v4: [stranger ? 0x0a000009 : v4[0], v4[1]], v6: [stranger ? six(9) : v6[0], v6[1]] });
    return rng.nextFloat() < 0.5 ? f : mutant(rng, [f]);
  }
  const noise = new Uint8Array(rng.nextInt(200));
  for (let i = 0; i < noise.length; i++) noise[i] = rng.nextInt(256);
  if (noise.length >= 14 && rng.nextFloat() < 0.7) {
    noise.set(toMac, 0);
    noise[12] = pick(rng, [EtherType.IPv4, EtherType.IPv6, EtherType.ARP]) >> 8;
    noise[13] = rng.nextFloat() < 0.5 ? 0x00 : 0xdd;
  }
  return noise;
}

let gcFunction: (() => void) | null | undefined;

/** A full collection (Node's `gc`, exposed at run time when the process was not started with it). */
function collect(): (() => void) | null {
  if (gcFunction !== undefined) return gcFunction;
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return (gcFunction = g);
  try {
    setFlagsFromString('--expose-gc');
    const fn: unknown = runInNewContext('gc');
    gcFunction = typeof fn === 'function' ? (fn as () => void) : null;
  } catch {
    gcFunction = null;
  }
  return gcFunction;
}

function heapUsed(): number | null {
  const gc = collect();
  if (gc === null) return null;
  gc();
  return process.memoryUsage().heapUsed;
}

function fail(seed: number, message: string, last: Uint8Array | null): never {
  throw new FuzzFailure('stack', `seed ${seed}: ${message}`, last ?? new Uint8Array(0));
}

/** Runs the campaign; throws `FuzzFailure` at the first broken invariant. */
export function runStackCampaign(c: StackCampaign): StackCampaignResult {
  const rng = new Xoshiro128(c.seed);
  const n = new FuzzNet();
  const owned = stackAddresses(n.stacks);
  const skipped: StackCampaignResult['skipped'] = { 'forged-segment': 0, 'forged-neighbour': 0, 'forged-redirect': 0 };
  let injected = 0;
  let maxConnections = 0;
  let last: Uint8Array | null = null;
  const limit = c.iterations ?? Infinity;
  let heapStart: number | null = null;
  let i = 0;
  const between = (): void => {
    if (rng.nextFloat() >= 0.6) return;
    for (let k = 1 + rng.nextInt(3); k > 0; k--) {
      const side = rng.nextFloat() < 0.5 ? 'a' : 'b';
      const f = hostile(rng, n, side);
      const v = verdict(f, side === 'a' ? n.a : n.b, owned);
      if (v !== 'inject') {
        skipped[v]++;
        continue;
      }
      last = f;
      try {
        n.inject(side, f);
      } catch (e) {
        fail(c.seed, `exception escaped Stack.input on ${side}: ${e instanceof Error ? e.stack ?? e.message : String(e)}\nframe ${hex(f)}`, f);
      }
      injected++;
    }
  };
  for (; i < limit; i++) {
    if (c.deadline !== undefined && (i & 15) === 0 && Date.now() >= c.deadline) break;
    if (i === 50) heapStart = heapUsed();
    for (let w = rng.nextInt(3); w > 0; w--) n.write(rng);
    try {
      n.run(n.now + 1 + rng.nextInt(20), between);
    } catch (e) {
      if (e instanceof FuzzFailure) throw e;
      fail(c.seed, `exception escaped the stack: ${e instanceof Error ? e.stack ?? e.message : String(e)}`, last);
    }
    maxConnections = Math.max(maxConnections, n.a.tcp.allConnections().length, n.b.tcp.allConnections().length);
    if (n.problems.length > 0) fail(c.seed, `${n.problems.join('; ')}\nlast hostile frame ${last === null ? '-' : hex(last)}`, last);
  }
  const heapEnd = heapStart === null ? null : heapUsed();
  // Quiet: no more hostility; every byte written must arrive.
  n.run(n.now + 120_000);
  const stuck = n.streams.filter((s) => s.received !== s.sent);
  if (stuck.length > 0 || n.problems.length > 0) {
    fail(c.seed, `after the hostility: ${n.problems.join('; ')} ${stuck.map((s) => `${s.name} ${s.received}/${s.sent} bytes (${s.sender?.state} → ${s.receiver?.state})`).join(', ')}`, last);
  }
  // Still working: a last round of data on every stream, then an orderly close.
  for (let k = 0; k < 40; k++) n.write(rng);
  n.run(n.now + 60_000);
  const delivered = n.streams.reduce((sum, s) => sum + s.received, 0);
  if (n.outstanding !== 0) fail(c.seed, `fresh data after the hostility did not all arrive (${n.outstanding} bytes short)`, last);
  n.closing = true;
  for (const s of n.streams) s.sender?.shutdown();
  n.run(n.now + 10_000);
  for (const s of n.streams) s.sender?.close();
  n.run(n.now + 400_000); // TIME-WAIT (60 s) and any half-open stranger (SYN-ACK retries) expire
  for (const [name, s] of [['a', n.a], ['b', n.b]] as const) {
    const left = s.tcp.allConnections();
    if (left.length > 0) fail(c.seed, `stack ${name} still holds ${left.map((x) => `${x.toString()} ${x.state}`).join(', ')}`, last);
    if (s.tcp.nextDeadline() !== Infinity) fail(c.seed, `stack ${name}: TCP timer still armed at ${s.tcp.nextDeadline()}`, last);
    const r = s.reassemblyBytes();
    if (r.ipv4 + r.ipv6 !== 0) fail(c.seed, `stack ${name}: ${r.ipv4 + r.ipv6} bytes left in reassembly`, last);
  }
  const heapGrowthBytes = heapStart === null || heapEnd === null ? null : heapEnd - heapStart;
  if (heapGrowthBytes !== null && heapGrowthBytes > (c.heapSlackBytes ?? 64 * 1024 * 1024)) {
    fail(c.seed, `heap grew by ${(heapGrowthBytes / 1048576).toFixed(1)} MiB over ${i} iterations`, last);
  }
  return { iterations: i, injected, skipped, bytesDelivered: delivered, heapGrowthBytes, maxConnections, drops: dropSummary(n) };
}

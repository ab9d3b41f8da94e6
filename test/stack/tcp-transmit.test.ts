/**
 * The TCP transmit path (stack/tcp-glue.ts `flush`, IP output, `NetInterface.transmit`): a data
 * segment is written once, into the buffer the engine placed its data in, and the headers below
 * it go into the room in front; with offloads agreed (`LinkOffloads`), partial checksums and
 * segments larger than the MTU (TSO), exactly as the contract in stack/link.ts describes.
 */

import test from 'ava';
import { Stack, type NetInterface } from '../../stack/stack';
import { IpAddress } from '../../stack/wire/address';
import { isTcpError, type TcpEvent } from '../../stack/tcp/events';
import type { TcpConnection } from '../../stack/tcp/connection';
import type { TcpSegmentOut } from '../../stack/tcp/host';
import type { LinkOffloads, LinkType } from '../../stack/link';
import { parseEthernet } from '../../stack/wire/ethernet';
import { parseIpv4 } from '../../stack/wire/ipv4';
import { parseIpv6 } from '../../stack/wire/ipv6';
import { parseTcp, tcpChecksumOk, tcpHeaderLen, TcpFlag, type TcpRepr } from '../../stack/wire/tcp';
import { fold, pseudoHeaderSumV4, pseudoHeaderSumV6 } from '../../stack/wire/checksum';
import { EtherType, IpProtocol } from '../../stack/wire/ip-protocol';
import { isDrop } from '../../stack/wire/drop';
import { icmp4, ipv4, v4 } from './frames';

interface Wire {
  a: Stack;
  b: Stack;
  ia: NetInterface;
  ib: NetInterface;
  now: number;
  /** Frames `a` sent, in order. */
  fromA: Uint8Array[];
  /** Segments `a`'s engine handed to the network layer, in order. */
  segmentsA: TcpSegmentOut[];
  run(untilMs?: number): void;
}

/**
 * Two stacks on a wire like test/stack/pair.ts, but `a`'s link offers `offloadsA`. Frames from
 * `a` reach `b` marked vouched (as a veth or lo passes partial checksums on); `b` agrees to
 * receive offload so it takes them, and frames above the MTU.
 */
function wire(linkType: LinkType, mtu: number, offloadsA: LinkOffloads, v6 = false, mtuB = mtu): Wire {
  const a = new Stack({ seed: 1 });
  const b = new Stack({ seed: 2 });
  const addr = (n: number): { ipv4?: string; ipv6?: string; dad: false } => (v6 ? { ipv6: `fd00::${n}/64`, dad: false } : { ipv4: `10.0.0.${n}/24`, dad: false });
  const w: Wire = {
    a,
    b,
    ia: a.addInterface({ mtu, linkType, offloads: offloadsA }, addr(1)),
    ib: b.addInterface({ mtu: mtuB, linkType, offloads: { rxChecksumAndCoalescing: true } }, addr(2)),
    now: 0,
    fromA: [],
    segmentsA: [],
    run(untilMs = w.now + 1000) {
      for (let steps = 0; steps < 100_000; steps++) {
        a.poll(w.now);
        b.poll(w.now);
        let moved = false;
        for (const { frames } of a.drain()) {
          moved = true;
          w.fromA.push(...frames);
          b.input(w.ib, frames, w.now, new Uint8Array(frames.length).fill(1));
        }
        for (const { frames } of b.drain()) {
          moved = true;
          a.input(w.ia, frames, w.now);
        }
        if (moved) continue;
        const next = Math.min(a.nextDeadline(), b.nextDeadline());
        if (next > untilMs) {
          w.now = untilMs;
          return;
        }
        w.now = Math.max(w.now, next);
      }
      throw new Error('wire: still busy');
    },
  };
  const take = a.tcp.takeOutput.bind(a.tcp);
  a.tcp.takeOutput = () => {
    const out = take();
    w.segmentsA.push(...out);
    return out;
  };
  return w;
}

/** `a` connects to a listener on `b`; returns both ends, reading. */
function connect(w: Wire, v6 = false): { client: TcpConnection; server: TcpConnection; serverEvents: TcpEvent[] } {
  const server = IpAddress.parse(v6 ? 'fd00::2' : '10.0.0.2')!;
  const l = w.b.tcp.listen(server, 80);
  if (isTcpError(l)) throw new Error(l.error);
  const client = w.a.tcp.connect({ remote: server, remotePort: 80 }, w.now);
  if (isTcpError(client)) throw new Error(client.error);
  w.run();
  const events = w.b.tcp.takeEvents();
  const accepted = events.find((e) => e.kind === 'accept') as { conn: TcpConnection } | undefined;
  if (accepted === undefined) throw new Error('not accepted');
  accepted.conn.readStart();
  client.readStart();
  return { client, server: accepted.conn, serverEvents: [] };
}

interface Sent {
  ip: Uint8Array;
  tcp: Uint8Array;
  repr: TcpRepr;
  src: IpAddress;
  dst: IpAddress;
}

/** The TCP segments among `frames` (Ethernet or bare IP), unparsed checksum and all. */
function tcpSegments(frames: Uint8Array[], linkType: LinkType): Sent[] {
  const out: Sent[] = [];
  for (const f of frames) {
    let ip = f;
    if (linkType === 'ethernet') {
      const e = parseEthernet(f);
      if (isDrop(e) || (e.etherType !== EtherType.IPv4 && e.etherType !== EtherType.IPv6)) continue;
      ip = e.payload;
    }
    if (ip[0]! >> 4 === 4) {
      const p = parseIpv4(ip);
      if (isDrop(p) || p.protocol !== IpProtocol.TCP) continue;
      const repr = parseTcp(p.payload);
      if (isDrop(repr)) continue;
      out.push({ ip, tcp: p.payload, repr, src: IpAddress.v4(p.src), dst: IpAddress.v4(p.dst) });
    } else {
      const p = parseIpv6(ip);
      if (isDrop(p) || p.upperLayerProtocol !== IpProtocol.TCP) continue;
      const repr = parseTcp(p.upperLayerPayload);
      if (isDrop(repr)) continue;
      out.push({ ip, tcp: p.upperLayerPayload, repr, src: IpAddress.v6(p.src), dst: IpAddress.v6(p.dst) });
    }
  }
  return out;
}

function pseudo(s: Sent): number {
  return s.src.family === 4
    ? pseudoHeaderSumV4(s.src.v4, s.dst.v4, IpProtocol.TCP, s.tcp.length)
    : pseudoHeaderSumV6(s.src.bytes, s.dst.bytes, IpProtocol.TCP, s.tcp.length);
}

function checksumField(s: Sent): number {
  return (s.tcp[16]! << 8) | s.tcp[17]!;
}

function pattern(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

function receivedBytes(events: TcpEvent[]): number {
  let n = 0;
  for (const e of events) if (e.kind === 'data') n += e.chunk.length;
  return n;
}

for (const linkType of ['ethernet', 'ip'] as const) {
  for (const v6 of [false, true]) {
    test(`a data segment is written once: the frame on ${linkType} (${v6 ? 'IPv6' : 'IPv4'}) is the buffer the engine copied the data into`, (t) => {
      const w = wire(linkType, 1500, {}, v6);
      const { client } = connect(w, v6);
      w.fromA.length = 0;
      w.segmentsA.length = 0;
      const data = pattern(3000);
      client.send(data);
      w.a.poll(w.now);
      const frames = w.a.drain().flatMap((d) => d.frames);
      const withData = w.segmentsA.filter((s) => s.repr.payload.length > 0);
      t.is(withData.length, 3, 'three MSS-sized segments or less for 3000 bytes');
      t.is(frames.length, 3);
      for (let i = 0; i < 3; i++) {
        const seg = withData[i]!;
        t.truthy(seg.segment, 'the engine placed the data itself');
        t.is(frames[i]!.buffer, seg.segment!.buffer, 'no copy between the engine and the driver');
        const headers = (linkType === 'ethernet' ? 14 : 0) + (v6 ? 40 : 20);
        t.is(seg.segment!.byteOffset - frames[i]!.byteOffset, headers, 'IP and link headers in the room in front');
      }
      const sent = tcpSegments(frames, linkType);
      t.deepEqual(Buffer.concat(sent.map((s) => s.repr.payload)), Buffer.from(data));
      for (const s of sent) t.true(tcpChecksumOk(s.tcp, pseudo(s)), 'no offload agreed: full checksums');
    });
  }
}

test('with txTcpChecksum agreed, every TCP segment carries only the folded pseudo-header sum', (t) => {
  const w = wire('ethernet', 1500, { txTcpChecksum: true });
  const { client } = connect(w);
  client.send(pattern(5000));
  w.run();
  const sent = tcpSegments(w.fromA, 'ethernet');
  t.true(sent.some((s) => s.repr.flags & TcpFlag.SYN), 'the SYN too');
  t.true(sent.filter((s) => s.repr.payload.length > 0).length >= 4);
  for (const s of sent) {
    t.is(checksumField(s), fold(pseudo(s)), `${s.repr.seq}: pseudo-header sum, not complemented`);
    t.false(tcpChecksumOk(s.tcp, pseudo(s)));
  }
  t.true(sent.every((s) => parseIpv4(s.ip) !== null && !isDrop(parseIpv4(s.ip))), 'IPv4 header checksums stay complete');
  t.is(receivedBytes(w.b.tcp.takeEvents()), 5000, 'the vouched receiver takes them');
});

test('partial checksums over IPv6 too; an interface without the offload sends full ones', (t) => {
  const w = wire('ethernet', 1500, { txTcpChecksum: true }, true);
  const { client, server } = connect(w, true);
  client.send(pattern(2000));
  w.run();
  const sent = tcpSegments(w.fromA, 'ethernet');
  t.true(sent.length > 2);
  for (const s of sent) t.is(checksumField(s), fold(pseudo(s)));
  // b agreed only receive offload: what it sends back is complete.
  server.send(pattern(100));
  w.b.poll(w.now);
  const back = tcpSegments(w.b.drain().flatMap((d) => d.frames), 'ethernet');
  t.true(back.length > 0);
  for (const s of back) t.true(tcpChecksumOk(s.tcp, pseudo(s)));
});

test('with TSO agreed, new data leaves in segments of whole MSS multiples up to the window, above the MTU', (t) => {
  const w = wire('ethernet', 1500, { txTcpChecksum: true, txTcpSegmentation: 65535 });
  const { client } = connect(w);
  const mss = client.stats().mss;
  t.is(mss, 1500 - 40 - 12, 'timestamps on');
  w.fromA.length = 0;
  const total = 40 * mss + 100;
  client.send(pattern(total));
  w.a.poll(w.now);
  const frames = w.a.drain().flatMap((d) => d.frames);
  const first = tcpSegments(frames, 'ethernet');
  // The initial window (RFC 6928: 10 segments) goes out as one segment the link cuts.
  t.deepEqual(first.map((s) => s.repr.payload.length), [10 * mss]);
  t.is(first[0]!.ip.length, 20 + 32 + 10 * mss, 'an IP packet above the MTU');
  t.is(checksumField(first[0]!), fold(pseudo(first[0]!)), 'partial checksum over the whole segment length');
  t.is(first[0]!.repr.flags & TcpFlag.PSH, 0, 'not the end of what was written');
  w.fromA.push(...frames);
  w.b.input(w.ib, frames, w.now, new Uint8Array(frames.length).fill(1));
  w.run();
  t.is(client.stats().retransmits, 0);
  t.is(receivedBytes(w.b.tcp.takeEvents()), total, 'everything arrives');
  const sizes = tcpSegments(w.fromA, 'ethernet').filter((s) => s.repr.payload.length > 0).map((s) => s.repr.payload.length);
  t.is(sizes.reduce((x, y) => x + y, 0), total, 'nothing sent twice');
  for (const n of sizes.slice(0, -1)) t.is(n % mss, 0, `${n}: a whole multiple of the MSS`);
  t.is(sizes[sizes.length - 1], 100, 'the tail goes as a segment of its own');
  t.true(Math.max(...sizes) > mss);
  t.true(Math.max(...sizes) + 52 <= 65535);
});

test('TSO is not used when the peer announced a smaller MSS than the MTU gives (the link cuts at its MTU)', (t) => {
  const w = wire('ethernet', 1500, { txTcpChecksum: true, txTcpSegmentation: 65535 }, false, 1000);
  const { client } = connect(w);
  const mss = client.stats().mss;
  t.is(mss, 1000 - 40 - 12, "b's MSS option, from its MTU of 1000");
  w.fromA.length = 0;
  client.send(pattern(20 * mss));
  w.a.poll(w.now);
  const sizes = tcpSegments(w.a.drain().flatMap((d) => d.frames), 'ethernet').map((s) => s.repr.payload.length);
  t.deepEqual(sizes, Array(10).fill(mss), 'the initial window in MSS-sized segments');
});

test('a path MTU learned from ICMP (RFC 1191) cuts the resent segment and everything after, though the path is remembered within each call into the engine', (t) => {
  const w = wire('ip', 1500, {});
  const { client, server } = connect(w);
  const data = pattern(40_000);
  client.send(data);
  w.a.poll(w.now);
  const first = tcpSegments(w.a.drain().flatMap((d) => d.frames), 'ip').find((s) => s.repr.payload.length > 0)!;
  t.is(first.ip.length, 1500, 'full-sized before');
  // A router on the way says "fragmentation needed, next-hop MTU 1000", quoting that segment.
  const quoted = first.ip.subarray(0, 28);
  const icmp = ipv4({ src: v4('10.0.0.2'), dst: v4('10.0.0.1'), protocol: IpProtocol.ICMP, payload: icmp4({ kind: 'destination-unreachable', code: 4, nextHopMtu: 1000, invoking: quoted }) });
  w.segmentsA.length = 0;
  w.a.input(w.ia, [icmp], w.now);
  w.run();
  const after = w.segmentsA.filter((s) => s.repr.payload.length > 0);
  t.true(after.length > 0);
  t.is(after[0]!.repr.seq, first.repr.seq, 'the quoted segment is resent at once');
  t.true(after.every((s) => 20 + tcpHeaderLen(s.repr) + s.repr.payload.length <= 1000), 'every segment fits the new path MTU');
  t.is(receivedBytes(w.b.tcp.takeEvents()), data.length);
  t.is(server.state, 'ESTABLISHED');
});

/** Memory links with checksum offload (`MemoryLink.pair({ offloads: true })`), as veth and lo do it. */

import test from 'ava';
import { MemoryLink } from '../../drivers/memory-link';
import { MEMORY_LINK_OFFLOADS } from '../../drivers/memory-offloads';
import { SimulatedClock } from '../../drivers/scheduler';
import { emitTcp, tcpChecksumOk, tcpHeaderLen, TcpFlag, type TcpRepr } from '../../stack/wire/tcp';
import { emitIpv4 } from '../../stack/wire/ipv4';
import { emitIpv6 } from '../../stack/wire/ipv6';
import { emitEthernet } from '../../stack/wire/ethernet';
import { fold, pseudoHeaderSumV4, pseudoHeaderSumV6 } from '../../stack/wire/checksum';
import { EtherType, IpProtocol } from '../../stack/wire/ip-protocol';
import { parseIpv4 as ip4, parseIpv6 as ip6, parseMac } from '../../stack/wire/address';

const SRC = ip4('10.0.0.1')!;
const DST = ip4('10.0.0.2')!;
const MAC_A = parseMac('02:00:00:00:00:0a')!;
const MAC_B = parseMac('02:00:00:00:00:0b')!;

function segment(payload: number): { tcp: Uint8Array; repr: TcpRepr } {
  const repr: TcpRepr = { srcPort: 1000, dstPort: 80, seq: 1, ack: 2, flags: TcpFlag.ACK, window: 100, urgent: 0, options: {}, payload: new Uint8Array(payload).fill(0x61) };
  return { tcp: new Uint8Array(tcpHeaderLen(repr) + payload), repr };
}

/** An Ethernet frame carrying a TCP segment whose checksum is partial (`'partial'`) or full. */
function tcpFrame(mode: 'partial' | 'full', v6 = false): Uint8Array {
  const { tcp, repr } = segment(33);
  const s6 = ip6('fd00::1')!;
  const d6 = ip6('fd00::2')!;
  const pseudo = v6 ? pseudoHeaderSumV6(s6, d6, IpProtocol.TCP, tcp.length) : pseudoHeaderSumV4(SRC, DST, IpProtocol.TCP, tcp.length);
  emitTcp(repr, tcp, pseudo, mode);
  const ip = new Uint8Array((v6 ? 40 : 20) + tcp.length);
  if (v6) emitIpv6({ trafficClass: 0, flowLabel: 0, nextHeader: IpProtocol.TCP, hopLimit: 64, src: s6, dst: d6, payload: tcp }, ip);
  else emitIpv4({ dscp: 0, ecn: 0, identification: 1, dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: 64, protocol: IpProtocol.TCP, src: SRC, dst: DST, options: new Uint8Array(0), payload: tcp }, ip);
  const frame = new Uint8Array(14 + ip.length);
  emitEthernet({ dst: MAC_B, src: MAC_A, etherType: v6 ? EtherType.IPv6 : EtherType.IPv4, payload: ip }, frame);
  return frame;
}

function ends(offloads: boolean) {
  const clock = new SimulatedClock();
  const [a, b] = MemoryLink.pair({ scheduler: clock, offloads });
  const got: Array<{ frame: Uint8Array; vouched: number }> = [];
  b.start((frames, vouched) => frames.forEach((frame, i) => got.push({ frame, vouched: vouched?.[i] ?? 0 })));
  return { clock, a, b, got };
}

test('without the option nothing is offered and frames cross as they are', (t) => {
  const { clock, a, b, got } = ends(false);
  t.is(a.offloads, undefined);
  a.useOffloads({ txTcpChecksum: true });
  b.useOffloads({ rxChecksumAndCoalescing: true });
  const f = tcpFrame('full');
  a.send([f]);
  clock.advance(0);
  t.is(got[0]!.frame, f);
  t.is(got[0]!.vouched, 0);
});

test('a partial TCP checksum arrives vouched for at an end that agreed receive offload', (t) => {
  const { clock, a, b, got } = ends(true);
  t.deepEqual(a.offloads, MEMORY_LINK_OFFLOADS);
  a.useOffloads({ txTcpChecksum: true });
  b.useOffloads({ rxChecksumAndCoalescing: true });
  const frames = [tcpFrame('partial'), tcpFrame('partial', true), new Uint8Array(60)];
  const before = frames.map((f) => [...f]);
  a.send(frames);
  clock.advance(0);
  t.deepEqual(got.map((g) => g.vouched), [1, 1, 0], 'TCP v4 and v6 vouched; anything else not');
  t.deepEqual(got.map((g) => [...g.frame]), before, 'untouched');
});

test('at an end that did not agree receive offload, the link completes the checksum', (t) => {
  const { clock, a, got } = ends(true);
  a.useOffloads({ txTcpChecksum: true });
  for (const v6 of [false, true]) {
    const f = tcpFrame('partial', v6);
    const tcp = f.subarray(14 + (v6 ? 40 : 20));
    const pseudo = v6
      ? pseudoHeaderSumV6(ip6('fd00::1')!, ip6('fd00::2')!, IpProtocol.TCP, tcp.length)
      : pseudoHeaderSumV4(SRC, DST, IpProtocol.TCP, tcp.length);
    t.is((tcp[16]! << 8) | tcp[17]!, fold(pseudo), 'sent partial');
    a.send([f]);
    clock.advance(0);
    const g = got.pop()!;
    t.is(g.vouched, 0);
    t.true(tcpChecksumOk(tcp, pseudo), 'now complete');
    t.deepEqual([...g.frame], [...tcpFrame('full', v6)], 'byte for byte what a full checksum gives');
  }
});

test('an end that did not agree transmit offload sends full checksums, which are never marked', (t) => {
  const { clock, a, b, got } = ends(true);
  b.useOffloads({ rxChecksumAndCoalescing: true });
  a.send([tcpFrame('full')]);
  clock.advance(0);
  t.is(got[0]!.vouched, 0);
});

test('two stacks over a pair with offloads: both agree, data crosses intact with partial checksums vouched for', async (t) => {
  const { Stack } = await import('../../src/stack');
  const { createHash, randomBytes } = await import('crypto');
  const [a, b] = MemoryLink.pair({ mtu: 9000, offloads: true });
  let vouchedAtServer = 0;
  const start = a.start.bind(a);
  a.start = (receive) =>
    start((frames, vouched) => {
      for (const v of vouched ?? []) vouchedAtServer += v;
      receive(frames, vouched);
    });
  const server = new Stack({ seed: 1 });
  const client = new Stack({ seed: 2 });
  const ia = server.addInterface(a, { ipv4: '10.0.0.1/24', dad: false });
  const ib = client.addInterface(b, { ipv4: '10.0.0.2/24', dad: false });
  t.teardown(async () => {
    await client.close();
    await server.close();
  });
  t.deepEqual(ia.offloads, MEMORY_LINK_OFFLOADS);
  t.deepEqual(ib.offloads, MEMORY_LINK_OFFLOADS);
  const data = randomBytes(300_000);
  const received = new Promise<string>((resolve) => {
    server.net
      .createServer((s) => {
        const h = createHash('sha256');
        s.on('data', (d: Buffer) => h.update(d));
        s.on('end', () => resolve(h.digest('hex')));
      })
      .listen(80);
  });
  const c = client.net.connect(80, '10.0.0.1');
  c.end(data);
  t.is(await received, createHash('sha256').update(data).digest('hex'));
  t.true(vouchedAtServer > 30, `${vouchedAtServer} segments crossed with partial checksums, vouched for`);
  t.is(server.counters().drops.tcp?.['tcp-bad-checksum'] ?? 0, 0);
});

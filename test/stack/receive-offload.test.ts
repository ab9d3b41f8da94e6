/**
 * Receive offload in the stack (`LinkOffloads.rxChecksumAndCoalescing`, stack/link.ts): a frame
 * whose TCP or UDP checksum the link vouches for is not verified (the field may hold only the
 * pseudo-header sum), but only on an interface that agreed to receive offload; fragments and IP
 * header checksums are always verified; packets above the MTU are taken only with the agreement.
 */

import test from 'ava';
import { Stack } from '../../stack/stack';
import type { NetInterface } from '../../stack/iface/interface';
import type { LinkOffloads } from '../../stack/link';
import { EtherType, IpProtocol } from '../../stack/wire/ip-protocol';
import { emitTcp, parseTcp, TcpFlag, tcpHeaderLen, type TcpRepr } from '../../stack/wire/tcp';
import { fold, pseudoHeaderSumV4, pseudoHeaderSumV6 } from '../../stack/wire/checksum';
import { isDrop } from '../../stack/wire/drop';
import { eth, ipv4, ipv6, readIpv4, udp4, v4, v6 } from './frames';

const US4 = v4('10.0.0.1');
const PEER4 = v4('10.0.0.9');
const US6 = v6('fd00::1');
const PEER6 = v6('fd00::9');
const RX: LinkOffloads = { rxChecksumAndCoalescing: true };
const ONE = Uint8Array.of(1);

function setup(offloads: LinkOffloads | undefined, mtu = 1500): { s: Stack; iface: NetInterface } {
  const s = new Stack({ seed: 1 });
  const link = offloads === undefined ? { mtu, linkType: 'ethernet' as const } : { mtu, linkType: 'ethernet' as const, offloads };
  const iface = s.addInterface(link, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64', dad: false });
  // The peer's MAC, so that answers go out at once instead of waiting for ARP/NDP.
  s.input(iface, [eth(iface.mac!, EtherType.ARP, Uint8Array.from([0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 0x99, 10, 0, 0, 9, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1]))], 0);
  s.drain();
  return { s, iface };
}

/** A SYN to closed port 81 (answered with RST when accepted), its checksum field left partial. */
function partialSyn(family: 4 | 6, payload = new Uint8Array(0)): Uint8Array {
  const syn: TcpRepr = { srcPort: 5000, dstPort: 81, seq: 1000, ack: 0, flags: TcpFlag.SYN, window: 65535, urgent: 0, options: { mss: 1460 }, payload };
  const seg = new Uint8Array(tcpHeaderLen(syn) + payload.length);
  const pseudo = family === 4 ? pseudoHeaderSumV4(PEER4, US4, IpProtocol.TCP, seg.length) : pseudoHeaderSumV6(PEER6, US6, IpProtocol.TCP, seg.length);
  emitTcp(syn, seg, pseudo);
  const partial = fold(pseudo); // what a kernel with CHECKSUM_PARTIAL leaves in the field
  seg[16] = partial >> 8;
  seg[17] = partial & 0xff;
  return seg;
}

function frameOf(iface: NetInterface, family: 4 | 6, seg: Uint8Array): Uint8Array {
  return family === 4
    ? eth(iface.mac!, EtherType.IPv4, ipv4({ src: PEER4, dst: US4, protocol: IpProtocol.TCP, payload: seg }))
    : eth(iface.mac!, EtherType.IPv6, ipv6(PEER6, US6, IpProtocol.TCP, seg));
}

/**
 * The TCP flags of what the stack sent. IPv6 answers wait for neighbour discovery of the peer,
 * so for them the segments TCP emitted are counted instead (each stands for an RST here).
 */
function sentTcpFlags(s: Stack, family: 4 | 6): number[] {
  const frames = s.drain().flatMap((d) => d.frames);
  if (family === 6) {
    const out = s.counters().counts.tcp?.OutSegs ?? 0;
    const fresh = out - (reported.get(s) ?? 0);
    reported.set(s, out);
    return new Array<number>(fresh).fill(TcpFlag.RST | TcpFlag.ACK);
  }
  return frames.flatMap((f) => {
    const seg = parseTcp(readIpv4(f).payload);
    return isDrop(seg) ? [] : [seg.flags];
  });
}
const reported = new WeakMap<Stack, number>();

for (const family of [4, 6] as const) {
  test(`IPv${family}: a vouched TCP segment with a partial checksum is taken; unvouched, or on an interface without receive offload, it is dropped`, (t) => {
    const agreed = setup(RX);
    agreed.s.input(agreed.iface, [frameOf(agreed.iface, family, partialSyn(family))], 0);
    t.deepEqual(sentTcpFlags(agreed.s, family), [], 'not vouched: dropped');
    t.is(agreed.s.counters().drops.tcp!['tcp-bad-checksum'], 1);
    agreed.s.input(agreed.iface, [frameOf(agreed.iface, family, partialSyn(family))], 0, ONE);
    t.deepEqual(sentTcpFlags(agreed.s, family), [TcpFlag.RST | TcpFlag.ACK], 'vouched: taken (a SYN to a closed port gets RST)');
    t.is(agreed.s.counters().drops.tcp!['tcp-bad-checksum'], 1);

    const plain = setup(undefined);
    plain.s.input(plain.iface, [frameOf(plain.iface, family, partialSyn(family))], 0, ONE);
    t.deepEqual(sentTcpFlags(plain.s, family), [], 'the link vouches, but the interface agreed to nothing');
    t.is(plain.s.counters().drops.tcp!['tcp-bad-checksum'], 1);
  });
}

test('checksumVouched is per frame: only the marked frames of a batch skip verification', (t) => {
  const { s, iface } = setup(RX);
  const f = frameOf(iface, 4, partialSyn(4));
  s.input(iface, [f, f, f], 0, Uint8Array.of(0, 1, 0));
  t.deepEqual(sentTcpFlags(s, 4), [TcpFlag.RST | TcpFlag.ACK]);
  t.is(s.counters().drops.tcp!['tcp-bad-checksum'], 2);
});

test('a vouched UDP datagram with a partial checksum is delivered; unvouched it is dropped', (t) => {
  const { s, iface } = setup(RX);
  const got: string[] = [];
  s.bindUdp(53, (d) => got.push(Buffer.from(d.payload).toString()));
  const dgram = udp4(PEER4, US4, 4000, 53, Buffer.from('query'));
  const partial = fold(pseudoHeaderSumV4(PEER4, US4, IpProtocol.UDP, dgram.length));
  dgram[6] = partial >> 8;
  dgram[7] = partial & 0xff;
  const frame = eth(iface.mac!, EtherType.IPv4, ipv4({ src: PEER4, dst: US4, protocol: IpProtocol.UDP, payload: dgram }));
  s.input(iface, [frame], 0);
  t.deepEqual(got, []);
  t.is(s.counters().drops.udp!['udp-bad-checksum'], 1);
  s.input(iface, [frame], 0, ONE);
  t.deepEqual(got, ['query']);
});

test('the mark does not cover fragments: a reassembled datagram is verified', (t) => {
  const { s, iface } = setup(RX);
  const seg = partialSyn(4, new Uint8Array(32));
  const first = seg.subarray(0, 24);
  const second = seg.subarray(24);
  const frag = (offset: number, more: boolean, payload: Uint8Array): Uint8Array =>
    eth(iface.mac!, EtherType.IPv4, ipv4({ src: PEER4, dst: US4, protocol: IpProtocol.TCP, identification: 7, moreFragments: more, fragmentOffset: offset, payload }));
  s.input(iface, [frag(0, true, first), frag(24, false, second)], 0, Uint8Array.of(1, 1));
  t.deepEqual(sentTcpFlags(s, 4), []);
  t.is(s.counters().drops.tcp!['tcp-bad-checksum'], 1);
});

test('the IP header checksum is verified on vouched frames too', (t) => {
  const { s, iface } = setup(RX);
  const f = frameOf(iface, 4, partialSyn(4));
  f[14 + 10] ^= 0xff;
  s.input(iface, [f], 0, ONE);
  t.deepEqual(sentTcpFlags(s, 4), []);
  t.is(s.counters().drops.ipv4!['ipv4-bad-checksum'], 1);
});

test('a packet above the MTU is dropped unless receive offload was agreed', (t) => {
  const big = partialSyn(4, new Uint8Array(3000));
  const plain = setup({ txTcpChecksum: true });
  plain.s.input(plain.iface, [frameOf(plain.iface, 4, big)], 0, ONE);
  t.deepEqual(sentTcpFlags(plain.s, 4), []);
  t.is(plain.s.counters().drops.eth!['eth-larger-than-mtu'], 1);
  const agreed = setup(RX);
  agreed.s.input(agreed.iface, [frameOf(agreed.iface, 4, big)], 0, ONE);
  t.deepEqual(sentTcpFlags(agreed.s, 4), [TcpFlag.RST | TcpFlag.ACK]);
  t.false('eth-larger-than-mtu' in (agreed.s.counters().drops.eth ?? {}));
  const atMtu = setup(undefined);
  const fits = partialSyn(4, new Uint8Array(1500 - 20 - 24));
  atMtu.s.input(atMtu.iface, [frameOf(atMtu.iface, 4, fits)], 0);
  t.false('eth-larger-than-mtu' in (atMtu.s.counters().drops.eth ?? {}), 'exactly the MTU is fine');
});

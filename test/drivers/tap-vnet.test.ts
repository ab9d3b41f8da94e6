/**
 * The virtio-net header of the TAP addon (drivers/tap/vnet.cc, kernel's
 * include/uapi/linux/virtio_net.h), byte for byte: what goes in front of each frame we write
 * under each transmit offload, and what a received header reports. Frames are built with the
 * wire modules; headers are read as the kernel does (16-bit fields little-endian after
 * TUNSETVNETLE). Needs only the built addon, not root.
 */

import test from 'ava';
import { loadTapAddon, RX_FLAG_COALESCED, RX_FLAG_VOUCHED, type NativeTapAddon } from '../../drivers/tap/native';
import { emitTcp, tcpHeaderLen, TcpFlag, type TcpRepr } from '../../stack/wire/tcp';
import { pseudoHeaderSumV4 } from '../../stack/wire/checksum';
import { EtherType, IpProtocol } from '../../stack/wire/ip-protocol';
import { eth, ipv4, ipv6, v4, v6 } from '../stack/frames';

let addon: NativeTapAddon | undefined;
try {
  addon = loadTapAddon();
} catch {
  addon = undefined;
}
const maybe = addon === undefined ? test.skip : test;
if (addon === undefined) console.log('tap-vnet tests skipped: the TAP addon is not built (Linux only)');

const MAC = Uint8Array.of(2, 0, 0, 0, 0, 1);
const SRC4 = v4('10.0.0.1');
const DST4 = v4('10.0.0.2');

/** A TCP segment with the timestamps option (a 32-byte header) and `n` bytes of data. */
function tcp(n: number, flags = TcpFlag.ACK | TcpFlag.PSH): Uint8Array {
  const r: TcpRepr = { srcPort: 80, dstPort: 40000, seq: 1, ack: 1, flags, window: 512, urgent: 0, options: { timestamp: { tsVal: 1, tsEcr: 2 } }, payload: new Uint8Array(n) };
  const b = new Uint8Array(tcpHeaderLen(r) + n);
  emitTcp(r, b, pseudoHeaderSumV4(SRC4, DST4, IpProtocol.TCP, b.length));
  return b;
}

function tcp4(n: number, flags?: number, extra: Partial<Parameters<typeof ipv4>[0]> = {}): Uint8Array {
  return eth(MAC, EtherType.IPv4, ipv4({ src: SRC4, dst: DST4, protocol: IpProtocol.TCP, payload: tcp(n, flags), ...extra }));
}

function tcp6(n: number, nextHeader: number = IpProtocol.TCP): Uint8Array {
  return eth(MAC, EtherType.IPv6, ipv6(v6('fd00::1'), v6('fd00::2'), nextHeader, tcp(n)));
}

/** The header as numbers: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset. */
function header(frame: Uint8Array, o: { csum?: boolean; tso?: boolean; mtu?: number; le?: boolean } = {}): number[] {
  const h = addon!.vnetTxHeader(frame, o.csum ?? true, o.tso ?? true, o.mtu ?? 1500, o.le ?? true);
  const dv = new DataView(h.buffer, h.byteOffset, 10);
  const le = o.le ?? true;
  return [h[0]!, h[1]!, dv.getUint16(2, le), dv.getUint16(4, le), dv.getUint16(6, le), dv.getUint16(8, le)];
}

const CSUM_ONLY_V4 = [1, 0, 0, 0, 34, 16]; // NEEDS_CSUM from the TCP header (14 + 20), field at +16
const PLAIN = [0, 0, 0, 0, 0, 0];

maybe('TCP over IPv4 within the MTU: NEEDS_CSUM at the TCP header, no segmentation', (t) => {
  t.deepEqual(header(tcp4(100)), CSUM_ONLY_V4);
  t.deepEqual(header(tcp4(1500 - 20 - 32)), CSUM_ONLY_V4, 'exactly the MTU is not segmented');
});

maybe('TCP over IPv4 above the MTU: TCPV4 with gso_size = MTU − IP − TCP header (options included)', (t) => {
  t.deepEqual(header(tcp4(60_000)), [1, 1, 14 + 20 + 32, 1500 - 20 - 32, 34, 16]);
  t.deepEqual(header(tcp4(1500 - 20 - 32 + 1)), [1, 1, 66, 1448, 34, 16], 'one byte over the MTU');
  t.deepEqual(header(tcp4(60_000), { tso: false }), CSUM_ONLY_V4, 'without segmentation agreed: checksum only');
  t.deepEqual(header(tcp4(60_000), { mtu: 9000 }), [1, 1, 66, 9000 - 52, 34, 16]);
});

maybe('CWR in a segment to be cut asks for ECN segmentation (CWR only on the first piece)', (t) => {
  t.deepEqual(header(tcp4(60_000, TcpFlag.ACK | 0x80)), [1, 0x81, 66, 1448, 34, 16]);
});

maybe('TCP over IPv6: csum_start after the 40-byte header; TCPV6 above the MTU', (t) => {
  t.deepEqual(header(tcp6(100)), [1, 0, 0, 0, 54, 16]);
  t.deepEqual(header(tcp6(60_000)), [1, 4, 14 + 40 + 32, 1500 - 40 - 32, 54, 16]);
});

maybe('the header byte order follows the device: big-endian fields when asked', (t) => {
  const h = addon!.vnetTxHeader(tcp4(60_000), true, true, 1500, false);
  t.deepEqual([...h], [1, 1, 0, 66, 0x05, 0xa8, 0, 34, 0, 16]);
  const le = addon!.vnetTxHeader(tcp4(60_000), true, true, 1500, true);
  t.deepEqual([...le], [1, 1, 66, 0, 0xa8, 0x05, 34, 0, 16, 0]);
});

maybe('frames the stack leaves with complete checksums, or that are not TCP, get an all-zero header', (t) => {
  t.deepEqual(header(tcp4(100), { csum: false }), PLAIN, 'checksum offload not agreed');
  t.deepEqual(header(tcp4(100, undefined, { options: new Uint8Array(4) })), PLAIN, 'IPv4 with options');
  t.deepEqual(header(tcp4(100, undefined, { moreFragments: true })), PLAIN, 'a first fragment');
  t.deepEqual(header(tcp4(100, undefined, { fragmentOffset: 1480 })), PLAIN, 'a later fragment');
  t.deepEqual(header(tcp6(100, IpProtocol.HopByHop)), PLAIN, 'IPv6 with an extension header first');
  t.deepEqual(header(eth(MAC, EtherType.IPv4, ipv4({ src: SRC4, dst: DST4, protocol: IpProtocol.UDP, payload: new Uint8Array(16) }))), PLAIN, 'UDP');
  t.deepEqual(header(eth(MAC, EtherType.ARP, new Uint8Array(28))), PLAIN, 'ARP');
  const tagged = tcp4(100);
  const vlan = new Uint8Array(tagged.length + 4);
  vlan.set(tagged.subarray(0, 12));
  vlan.set([0x81, 0x00, 0x00, 0x05], 12);
  vlan.set(tagged.subarray(12), 16);
  t.deepEqual(header(vlan), PLAIN, 'VLAN-tagged');
});

maybe('truncated or inconsistent frames get an all-zero header, never a read past the end', (t) => {
  const f = tcp4(100);
  for (const cut of [0, 10, 14, 20, 33, 34, 40, 53, 60]) t.deepEqual(header(f.subarray(0, cut)), PLAIN, `cut at ${cut}`);
  const badOffset = Uint8Array.from(f);
  badOffset[14 + 20 + 12] = 0x40; // data offset 4 words: shorter than a TCP header
  t.deepEqual(header(badOffset), PLAIN);
  const longOffset = Uint8Array.from(tcp4(0));
  longOffset[14 + 20 + 12] = 0xf0; // 60 bytes claimed, 32 present
  t.deepEqual(header(longOffset), PLAIN);
  const lying = Uint8Array.from(f);
  lying[14 + 2] = 0xff; // IPv4 total length beyond the frame
  t.deepEqual(header(lying), PLAIN);
});

maybe('received headers: NEEDS_CSUM or DATA_VALID vouch for the checksum; a gso_type means coalesced', (t) => {
  const flags = (h: number[]): number => addon!.vnetRxFlags(Uint8Array.from([...h, 0, 0, 0, 0, 0, 0, 0, 0].slice(0, 10)));
  t.is(flags([0, 0]), 0);
  t.is(flags([1, 0]), RX_FLAG_VOUCHED);
  t.is(flags([2, 0]), RX_FLAG_VOUCHED);
  t.is(flags([1, 1]), RX_FLAG_VOUCHED | RX_FLAG_COALESCED);
  t.is(flags([1, 4]), RX_FLAG_VOUCHED | RX_FLAG_COALESCED);
  t.is(flags([1, 0x81]), RX_FLAG_VOUCHED | RX_FLAG_COALESCED);
  t.is(flags([1, 0x80]), RX_FLAG_VOUCHED, 'the ECN bit alone is no segmentation type');
  t.throws(() => addon!.vnetRxFlags(new Uint8Array(9)), { instanceOf: TypeError });
});

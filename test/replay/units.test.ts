/**
 * The replay's parts on their own: `--as` parsing, the peer-segment rewrite (ack mapping and
 * clamping, TSecr, checksum), the application script read from fixtures, and the comparison
 * catching what it must (a changed byte, a missing segment, a late acknowledgment).
 */
import test from 'ava';
import { join } from 'path';
import { readCaptureFile } from '../../drivers/pcap/read';
import { IpAddress } from '../../stack/wire/address';
import { pseudoHeaderSumV4 } from '../../stack/wire/checksum';
import { isDrop } from '../../stack/wire/drop';
import { emitTcp, parseTcp, tcpChecksumOk, tcpHeaderLen, TcpFlag, type TcpRepr } from '../../stack/wire/tcp';
import { findConversations } from '../../src/replay/conversation';
import { compareTcp } from '../../src/replay/compare-tcp';
import { DEFAULT_TOLERANCES } from '../../src/replay/difference';
import { findEndpoint, parseEndpointSpec, sentBy, type EndpointSpec } from '../../src/replay/endpoint';
import { parsePacket, type Packet } from '../../src/replay/packet';
import { observeUsernetSegment, rebasePeerSegment } from '../../src/replay/rebase';
import { deriveScript } from '../../src/replay/script';

const fixtures = join(__dirname, '../../pcap-fixtures');

function load(name: string): Packet[] {
  const f = readCaptureFile(join(fixtures, name));
  const t0 = f.records[0]!.timeMs;
  return f.records.map((r, i) => parsePacket(r.data, f.linkType, i + 1, r.timeMs - t0));
}

function spec(text: string): EndpointSpec {
  const s = parseEndpointSpec(text);
  if (typeof s === 'string') throw new Error(s);
  return s;
}

test('--as: addresses with and without ports, IPv6 ports in brackets; bad text is an error', (t) => {
  t.is(spec('10.0.0.2').port, undefined);
  t.is(spec('10.0.0.2:80').port, 80);
  t.is(spec('fd00::2').address.toString(), 'fd00::2');
  t.is(spec('fd00::2').port, undefined);
  t.is(spec('[fd00::2]:443').port, 443);
  for (const bad of ['10.0.0.300', '10.0.0.2:0', '10.0.0.2:70000', '[fd00::2]:x', 'host:80', '']) {
    t.is(typeof parseEndpointSpec(bad), 'string', bad);
  }
});

test('the endpoint is found by its address; one that sends nothing is an error', (t) => {
  const packets = load('tcp4-halfclose.pcap');
  const ep = findEndpoint(packets, spec('10.99.0.2'), true);
  if (typeof ep === 'string') return void t.fail(ep);
  t.deepEqual(ep.addresses.map(String), ['10.99.0.2']);
  t.deepEqual(ep.peers.map(String), ['10.99.0.1']);
  t.is(typeof findEndpoint(packets, spec('10.99.0.9'), true), 'string');
});

function segment(over: Partial<TcpRepr>): Packet {
  const repr: TcpRepr = { srcPort: 1000, dstPort: 2000, seq: 5000, ack: 0, flags: TcpFlag.ACK, window: 100, urgent: 0, options: { timestamp: { tsVal: 77, tsEcr: 99 } }, payload: new Uint8Array(0), ...over };
  const src = 0x0a000001;
  const dst = 0x0a000002;
  const len = tcpHeaderLen(repr) + repr.payload.length;
  const frame = new Uint8Array(14 + 20 + len);
  frame.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
  const ip = frame.subarray(14);
  ip.set([0x45, 0, (20 + len) >> 8, (20 + len) & 0xff, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
  emitTcp(repr, ip.subarray(20), pseudoHeaderSumV4(src, dst, 6, len));
  return parsePacket(frame, 'ethernet', 1, 0);
}

test('rebase: the ack moves from the capture ISN to usernet ISS, TSecr echoes usernet, the checksum verifies', (t) => {
  const state = { captureIss: 1_000_000 };
  observeUsernetSegment(state, segment({ seq: 0xfffffff0, flags: TcpFlag.SYN | TcpFlag.ACK, options: { timestamp: { tsVal: 4242, tsEcr: 0 } } }));
  observeUsernetSegment(state, segment({ seq: 0xfffffff1, payload: new Uint8Array(100), options: { timestamp: { tsVal: 4243, tsEcr: 0 } } }));
  const peer = segment({ ack: 1_000_000 + 1 + 60, options: { timestamp: { tsVal: 9, tsEcr: 123456 } } });
  const r = rebasePeerSegment(state, peer);
  const out = parseTcp(r.frame.subarray(34));
  if (isDrop(out)) return void t.fail(out.reason);
  t.is(out.ack, (0xfffffff0 + 1 + 60) >>> 0, 'mapped across the 2^32 wrap');
  t.deepEqual(out.options.timestamp, { tsVal: 9, tsEcr: 4243 });
  t.true(tcpChecksumOk(r.frame.subarray(34), pseudoHeaderSumV4(0x0a000001, 0x0a000002, 6, r.frame.length - 34)));
  t.false(r.clamped);
  t.is(peer.tcp!.ack, 1_000_000 + 61, 'the capture is left as it was');
});

test('rebase: an ack of data usernet has not sent is cut back to SND.MAX; before usernet\'s SYN it goes in unmapped', (t) => {
  const state = { captureIss: 500 };
  const early = rebasePeerSegment(state, segment({ ack: 501 }));
  t.true(early.unmapped);
  observeUsernetSegment(state, segment({ seq: 9000, flags: TcpFlag.SYN | TcpFlag.ACK }));
  const r = rebasePeerSegment(state, segment({ ack: 501 + 5000 }));
  t.true(r.clamped);
  const out = parseTcp(r.frame.subarray(34));
  if (isDrop(out)) return void t.fail(out.reason);
  t.is(out.ack, 9001);
});

test('script: the half-closed server writes 4 × 6000 bytes after the 15-byte request and FIN, then shuts down', (t) => {
  const packets = load('tcp4-halfclose.pcap');
  const ep = findEndpoint(packets, spec('10.99.0.2'), true);
  if (typeof ep === 'string') return void t.fail(ep);
  const s = deriveScript(ep, packets, findConversations(ep, packets));
  t.deepEqual(s.listens.map((l) => `${l.address}:${l.port}`), ['10.99.0.2:5002']);
  const writes = s.actions.filter((a) => a.kind === 'tcp-write');
  t.deepEqual(writes.map((w) => (w.kind === 'tcp-write' ? [w.data.length, w.after.bytes, w.after.fin] : [])), [
    [6000, 15, true],
    [6000, 15, true],
    [6000, 15, true],
    [6000, 15, true],
  ]);
  t.is(s.actions[s.actions.length - 1]!.kind, 'tcp-shutdown');
});

test('script: the bulk client connects, writes 100 000 bytes once, and shuts down before receiving anything', (t) => {
  const packets = load('tcp4-handshake-bulk.pcap');
  const ep = findEndpoint(packets, spec('10.99.0.1'), true);
  if (typeof ep === 'string') return void t.fail(ep);
  const s = deriveScript(ep, packets, findConversations(ep, packets));
  t.deepEqual(s.actions.map((a) => a.kind), ['tcp-connect', 'tcp-write', 'tcp-shutdown']);
  const w = s.actions[1]!;
  t.is(w.kind === 'tcp-write' ? w.data.length : 0, 100_000);
});

test('script: the UDP echo server binds 50007 but not the refused 50999, and answers after each datagram', (t) => {
  const packets = load('udp4.pcap');
  const ep = findEndpoint(packets, spec('10.99.0.2'), true);
  if (typeof ep === 'string') return void t.fail(ep);
  const s = deriveScript(ep, packets, []);
  t.deepEqual(s.udpBinds.map((b) => b.port), [50007]);
  t.deepEqual(s.actions.map((a) => (a.kind === 'udp-send' ? a.afterDatagrams : -1)), [1, 2, 3]);
});

test('comparison: the capture against itself has no difference; a changed byte, a lost segment and a late ACK are found', (t) => {
  const packets = load('tcp4-halfclose.pcap');
  const ep = findEndpoint(packets, spec('10.99.0.1'), true);
  if (typeof ep === 'string') return void t.fail(ep);
  const [conv] = findConversations(ep, packets);
  const mine = packets.filter((p) => sentBy(ep, p) && p.tcp !== undefined);
  const peer = packets.filter((p) => !sentBy(ep, p) && p.tcp !== undefined);
  t.deepEqual(compareTcp(conv!, mine, mine, peer, DEFAULT_TOLERANCES), []);

  const dataAt = mine.findIndex((p) => p.tcp!.payload.length > 0);
  const changed = mine.map((p, i) => (i === dataAt ? { ...p, tcp: { ...p.tcp!, payload: Uint8Array.from(p.tcp!.payload, (b, k) => (k === 3 ? b ^ 1 : b)) } } : p));
  const codes = (list: Packet[]): string[] => compareTcp(conv!, mine, list, peer, DEFAULT_TOLERANCES).map((d) => d.code);
  t.deepEqual(codes(changed), ['payload']);
  t.true(codes(mine.filter((_, i) => i !== dataAt)).includes('missing'));
  const lastAck = mine.length - 1;
  const late = mine.map((p, i) => (i === lastAck ? { ...p, timeMs: p.timeMs + DEFAULT_TOLERANCES.ackMs + 50 } : p));
  t.deepEqual(codes(late), ['ack-late']);
});

test('packets: an address parses the same from the capture as from text', (t) => {
  const p = load('icmp6-ping.pcap')[0]!;
  t.true(p.ip!.src.equals(IpAddress.parse('fd99::1')!));
  t.is(p.icmp?.kind, 'echo-request');
});

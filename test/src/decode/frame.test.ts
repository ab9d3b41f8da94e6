import test from 'ava';
import fc from 'fast-check';
import { decodeFrame } from '../../../src/decode/frame';
import { formatFrameLine, formatTimeOfDay, frameToJson } from '../../../src/decode/format';
import { EtherType, IpProtocol } from '../../../stack/wire/ip-protocol';
import { TcpFlag } from '../../../stack/wire/tcp';
import { parseIpv6 } from '../../../stack/wire/address';
import {
  MAC_A,
  SYN,
  V6_A,
  arpRequest,
  ethernet,
  icmpv4Message,
  ipv4,
  ipv6,
  ndpMessage,
  tcp4Frame,
  tcpSegment,
  udpDatagram,
} from './frames';

const hex4 = (b: Uint8Array, at: number): string => ((b[at]! << 8) | b[at + 1]!).toString(16).padStart(4, '0');

test('an IPv4 TCP SYN decodes to tcpdump -v -S text', (t) => {
  const f = tcp4Frame();
  const d = decodeFrame(f, 'ethernet');
  t.is(d.drop, undefined);
  t.is(
    formatFrameLine(d),
    `IP (tos 0x0, ttl 64, id 7, offset 0, flags [DF], proto TCP (6), length 60) 10.0.0.1.49500 > 10.0.0.2.80: ` +
      `Flags [S], cksum 0x${hex4(f, 14 + 20 + 16)} (correct), seq 1000, win 64240, ` +
      `options [mss 1460,sackOK,TS val 5 ecr 0,nop,wscale 7], length 0`,
  );
  t.true(
    formatFrameLine(d, { time: '01:02:03.000004', link: true }).startsWith(
      '01:02:03.000004 02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype IPv4 (0x0800), length 74: IP (tos 0x0,',
    ),
  );
});

test('the JSON form carries every field with numbers as numbers', (t) => {
  const f = tcp4Frame({ ...SYN, flags: TcpFlag.PSH | TcpFlag.ACK, ack: 0xfffffff0, options: {}, payload: Uint8Array.of(1, 2, 3) });
  const d = decodeFrame(f, 'ethernet');
  const j = JSON.parse(JSON.stringify(frameToJson(d, { frame: 3, timestampNs: 1_700_000_000_123_456_789n, originalLength: f.length })));
  t.like(j, {
    frame: 3,
    time: 1700000000.123456,
    length: 57,
    originalLength: 57,
    ethernet: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02', etherType: 0x0800 },
    network: {
      protocol: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2', ttl: 64, identification: 7, dontFragment: true,
      moreFragments: false, fragmentOffset: 0, nextProtocol: 6, totalLength: 43, headerLength: 20, checksumStatus: 'ok',
    },
    transport: {
      protocol: 'tcp', srcPort: 49500, dstPort: 80, seq: 1000, ack: 0xfffffff0, flags: 'P.', flagBits: 0x18,
      headerLength: 20, window: 64240, urgent: 0, checksumStatus: 'ok', options: {}, optionsText: '', payloadLength: 3,
    },
  });
  t.is(typeof j.transport.checksum, 'number');
  t.is(j.drop, undefined);
});

test('data segments print seq first:last and the ack', (t) => {
  const d = decodeFrame(tcp4Frame({ ...SYN, seq: 0xfffffffe, ack: 9, flags: TcpFlag.ACK, options: {}, payload: new Uint8Array(4) }), 'ethernet');
  t.regex(formatFrameLine(d), /Flags \[\.\], cksum 0x[0-9a-f]{4} \(correct\), seq 4294967294:2, ack 9, win 64240, length 4$/);
  const pureAck = decodeFrame(tcp4Frame({ ...SYN, ack: 9, flags: TcpFlag.ACK, options: {} }), 'ethernet');
  t.regex(formatFrameLine(pureAck), /Flags \[\.\], cksum 0x[0-9a-f]{4} \(correct\), ack 9, win 64240, length 0$/);
});

test('a wrong TCP checksum is reported, not dropped', (t) => {
  const f = tcp4Frame();
  f[f.length - 1] ^= 0xff; // last byte of the options
  const d = decodeFrame(f, 'ethernet');
  t.is(d.drop, undefined);
  t.is(d.transport?.checksumStatus, 'bad');
  t.regex(formatFrameLine(d), /\(incorrect\)/);
  const ipBad = tcp4Frame();
  ipBad[14 + 10] ^= 1;
  t.regex(formatFrameLine(decodeFrame(ipBad, 'ethernet')), /length 60, bad cksum [0-9a-f]+!\)/);
});

test('every truncation of a frame prints a drop reason and never throws', (t) => {
  const f = tcp4Frame();
  const seen = new Set<string>();
  for (let n = 0; n < f.length; n++) {
    const d = decodeFrame(f.subarray(0, n), 'ethernet');
    t.truthy(d.drop, `length ${n}`);
    const line = formatFrameLine(d);
    t.true(line.endsWith(`[drop: ${d.drop}]`), line);
    seen.add(d.drop!);
  }
  t.deepEqual([...seen].sort(), ['eth-truncated', 'ipv4-truncated']);
  // The IP header announces fewer bytes: the TCP header is cut inside the datagram.
  const short = ipv4(IpProtocol.TCP, tcpSegment(SYN).subarray(0, 30));
  const d = decodeFrame(ethernet(EtherType.IPv4, short), 'ethernet');
  t.is(d.drop, 'tcp-bad-offset');
  t.is(formatFrameLine(d), 'IP (tos 0x0, ttl 64, id 7, offset 0, flags [DF], proto TCP (6), length 50) 10.0.0.1 > 10.0.0.2: [drop: tcp-bad-offset]');
  t.is(formatFrameLine(decodeFrame(f.subarray(0, 20), 'ethernet')), 'IPv4 [drop: ipv4-truncated]');
  t.is(formatFrameLine(decodeFrame(f.subarray(0, 5), 'ethernet')), 'length 5 [drop: eth-truncated]');
});

test('IPv6 UDP, with the port pair and the checksum verified', (t) => {
  const d = decodeFrame(ethernet(EtherType.IPv6, ipv6(IpProtocol.UDP, udpDatagram({ srcPort: 5353, dstPort: 53, payload: Uint8Array.of(1, 2, 3) }, true))), 'ethernet');
  t.like(d, { network: { protocol: 'ipv6', src: 'fd00::1', dst: 'fd00::2', flowLabel: 0x12345, hopLimit: 64, payloadLength: 11, nextProtocol: 17 } });
  t.like(d, { transport: { protocol: 'udp', srcPort: 5353, dstPort: 53, length: 11, payloadLength: 3, checksumStatus: 'ok' } });
  t.regex(formatFrameLine(d), /^IP6 \(flowlabel 0x12345, hlim 64, next-header UDP \(17\) payload length: 11\) fd00::1\.5353 > fd00::2\.53: UDP, cksum 0x[0-9a-f]{4} \(correct\), length 3$/);
});

test('a zero UDP checksum is none over IPv4 and bad over IPv6', (t) => {
  const u4 = udpDatagram({ srcPort: 1, dstPort: 2, payload: new Uint8Array(2) });
  u4[6] = u4[7] = 0;
  t.is(decodeFrame(ethernet(EtherType.IPv4, ipv4(IpProtocol.UDP, u4)), 'ethernet').transport?.checksumStatus, 'none');
  const u6 = udpDatagram({ srcPort: 1, dstPort: 2, payload: new Uint8Array(2) }, true);
  u6[6] = u6[7] = 0;
  t.is(decodeFrame(ethernet(EtherType.IPv6, ipv6(IpProtocol.UDP, u6)), 'ethernet').transport?.checksumStatus, 'bad');
});

test('ARP who-has', (t) => {
  const d = decodeFrame(arpRequest(), 'ethernet');
  t.like(d, { network: { protocol: 'arp', op: 1, senderIp: '10.0.0.1', targetIp: '10.0.0.2', senderMac: '02:00:00:00:00:01' } });
  t.is(formatFrameLine(d), 'ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28');
});

test('ICMPv4 echo with id and seq', (t) => {
  const msg = icmpv4Message({ kind: 'echo-request', identifier: 77, sequence: 3, data: new Uint8Array(56) });
  const d = decodeFrame(ethernet(EtherType.IPv4, ipv4(IpProtocol.ICMP, msg, { dontFragment: false })), 'ethernet');
  t.like(d, { transport: { protocol: 'icmpv4', type: 8, code: 0, name: 'echo request', identifier: 77, sequence: 3, dataLength: 56, checksumStatus: 'ok' } });
  t.regex(formatFrameLine(d), /flags \[none\], proto ICMP \(1\), length 84\) 10\.0\.0\.1 > 10\.0\.0\.2: ICMP echo request id=77 seq=3 len 56, cksum 0x[0-9a-f]{4} \(correct\)$/);
});

test('IPv4 fragments: the first decodes unverified, the others say so', (t) => {
  const msg = icmpv4Message({ kind: 'echo-request', identifier: 1, sequence: 1, data: new Uint8Array(32) });
  const first = decodeFrame(ethernet(EtherType.IPv4, ipv4(IpProtocol.ICMP, msg.subarray(0, 24), { moreFragments: true })), 'ethernet');
  t.is(first.transport?.checksumStatus, 'unverified');
  const rest = decodeFrame(ethernet(EtherType.IPv4, ipv4(IpProtocol.ICMP, msg.subarray(24), { fragmentOffset: 24 })), 'ethernet');
  t.is(rest.transport, undefined);
  t.is(rest.note, 'non-first fragment');
  t.regex(formatFrameLine(rest), /offset 24, flags \[DF\].* 10\.0\.0\.1 > 10\.0\.0\.2: \[non-first fragment\]$/);
});

test('NDP neighbor solicitation: type, target and source link-layer address', (t) => {
  const snm = parseIpv6('ff02::1:ff00:2')!;
  const target = parseIpv6('fd00::2')!;
  const msg = ndpMessage({ kind: 'neighbor-solicitation', target, options: { sourceLinkLayerAddress: MAC_A } }, V6_A, snm);
  const d = decodeFrame(ethernet(EtherType.IPv6, ipv6(IpProtocol.ICMPv6, msg, V6_A, snm, 255)), 'ethernet');
  t.like(d, {
    transport: {
      protocol: 'icmpv6', type: 135, code: 0, name: 'neighbor solicitation', target: 'fd00::2',
      sourceLinkLayerAddress: '02:00:00:00:00:01', checksumStatus: 'ok',
    },
  });
  t.regex(formatFrameLine(d), /fd00::1 > ff02::1:ff00:2: ICMP6 neighbor solicitation, who has fd00::2, src-lladdr 02:00:00:00:00:01, cksum 0x[0-9a-f]{4} \(correct\)$/);
});

test('raw IP link type, an unknown EtherType and an unknown IP protocol', (t) => {
  const raw = decodeFrame(ipv4(IpProtocol.TCP, tcpSegment(SYN)), 'ip');
  t.is(raw.ethernet, undefined);
  t.is(raw.transport?.protocol, 'tcp');
  t.is(decodeFrame(Uint8Array.of(0x50, 0, 0), 'ip').drop, 'ip-bad-version');
  t.is(decodeFrame(new Uint8Array(0), 'ip').drop, 'ip-bad-version');
  const lldp = decodeFrame(ethernet(0x88cc, new Uint8Array(46)), 'ethernet');
  t.is(formatFrameLine(lldp), '0x88cc [ethertype 0x88cc]');
  const gre = decodeFrame(ethernet(EtherType.IPv4, ipv4(47, new Uint8Array(8))), 'ethernet');
  t.is(gre.note, 'protocol ip-proto-0x2f');
});

test('formatTimeOfDay prints HH:MM:SS.uuuuuu, truncating to microseconds', (t) => {
  t.is(formatTimeOfDay(1_700_000_000_123_456_789n, true), '22:13:20.123456');
  t.is(formatTimeOfDay(0n, true), '00:00:00.000000');
});

test('property: arbitrary bytes decode, format and serialise without throwing', (t) => {
  const prefixes = [new Uint8Array(0), tcp4Frame().subarray(0, 34), ethernet(EtherType.IPv6, new Uint8Array(0)), arpRequest().subarray(0, 14)];
  fc.assert(
    fc.property(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 120 }), fc.constantFrom('ethernet' as const, 'ip' as const), (prefix, tail, link) => {
      const b = new Uint8Array(prefix.length + tail.length);
      b.set(prefix);
      b.set(tail, prefix.length);
      const d = decodeFrame(b, link);
      formatFrameLine(d, { link: true });
      JSON.stringify(frameToJson(d, { frame: 1, timestampNs: 0n, originalLength: b.length }));
      return d.length === b.length;
    }),
  );
  t.pass();
});

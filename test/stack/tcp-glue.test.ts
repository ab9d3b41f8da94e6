import test from 'ava';
import { Stack } from '../../stack/stack';
import { IpAddress } from '../../stack/wire/address';
import { isTcpError, type TcpEvent } from '../../stack/tcp/events';
import type { TcpConnection } from '../../stack/tcp/connection';
import { EtherType, IpProtocol } from '../../stack/wire/ip-protocol';
import { pair } from './pair';
import { eth, ipv4, readIpv4, v4 } from './frames';
import { emitTcp, parseTcp, TcpFlag, tcpHeaderLen, type TcpRepr } from '../../stack/wire/tcp';
import { pseudoHeaderSumV4 } from '../../stack/wire/checksum';
import { isDrop } from '../../stack/wire/drop';

function received(events: TcpEvent[]): string {
  return events.filter((e): e is Extract<TcpEvent, { kind: 'data' }> => e.kind === 'data').map((e) => Buffer.from(e.chunk).toString()).join('');
}

for (const [family, server, client] of [
  ['IPv4', '10.0.0.1', '10.0.0.2'],
  ['IPv6', 'fd00::1', 'fd00::2'],
] as const) {
  test(`TCP between two stacks over ${family}: handshake, data both ways`, (t) => {
    const p = pair({ ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64' }, { ipv4: '10.0.0.2/24', ipv6: 'fd00::2/64' });
    p.run(2000);
    const l = p.a.tcp.listen(IpAddress.parse(server)!, 80);
    if (isTcpError(l)) return t.fail(l.error);
    const c = p.b.tcp.connect({ remote: IpAddress.parse(server)!, remotePort: 80 }, p.now);
    if (isTcpError(c)) return t.fail(c.error);
    p.run(p.now + 100);
    const accepted = p.a.tcp.takeEvents().find((e) => e.kind === 'accept') as { conn: TcpConnection } | undefined;
    t.truthy(accepted);
    const sconn = accepted!.conn;
    sconn.readStart();
    c.readStart();
    c.send(Buffer.from('hello over ' + family));
    p.b.poll(p.now);
    p.run(p.now + 100);
    t.is(received(p.a.tcp.takeEvents()), `hello over ${family}`);
    sconn.send(Buffer.from('reply'));
    p.a.poll(p.now);
    p.run(p.now + 100);
    t.is(received(p.b.tcp.takeEvents()), 'reply');
    t.is(p.a.counters().counts.tcp!.InSegs! > 2, true);
    t.is(IpAddress.parse(client)!.family, IpAddress.parse(server)!.family);
  });
}

test('TCP over loopback on a stack with no driver', (t) => {
  const s = new Stack();
  const l = s.tcp.listen(IpAddress.parse('127.0.0.1')!, 7);
  if (isTcpError(l)) return t.fail(l.error);
  const c = s.tcp.connect({ remote: IpAddress.parse('127.0.0.1')!, remotePort: 7 }, 0);
  if (isTcpError(c)) return t.fail(c.error);
  const events: TcpEvent[] = [];
  for (let i = 0; i < 20; i++) {
    s.poll(0);
    events.push(...s.tcp.takeEvents());
  }
  const acc = events.find((e) => e.kind === 'accept') as { conn: TcpConnection } | undefined;
  t.truthy(acc);
  t.truthy(events.find((e) => e.kind === 'established'));
  acc!.conn.readStart();
  c.send(Buffer.from('ping'));
  for (let i = 0; i < 20; i++) {
    s.poll(1);
    events.push(...s.tcp.takeEvents());
  }
  t.is(received(events), 'ping');
});

test('a segment with a bad checksum is dropped; a SYN to a closed port is answered with RST', (t) => {
  const s = new Stack();
  const iface = s.addInterface({ mtu: 1500, linkType: 'ethernet' }, { ipv4: '10.0.0.1/24', dad: false });
  s.drain();
  const peer = v4('10.0.0.9');
  const us = v4('10.0.0.1');
  const syn: TcpRepr = { srcPort: 5000, dstPort: 81, seq: 1000, ack: 0, flags: TcpFlag.SYN, window: 65535, urgent: 0, options: { mss: 1460 }, payload: new Uint8Array(0) };
  const seg = new Uint8Array(tcpHeaderLen(syn));
  emitTcp(syn, seg, pseudoHeaderSumV4(peer, us, IpProtocol.TCP, seg.length));
  const bad = Uint8Array.from(seg);
  bad[16] ^= 1;
  const arp = Uint8Array.from([0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 0x99, 10, 0, 0, 9, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1]);
  s.input(iface, [eth(iface.mac!, EtherType.ARP, arp)], 0);
  s.drain();
  s.input(iface, [eth(iface.mac!, EtherType.IPv4, ipv4({ src: peer, dst: us, protocol: IpProtocol.TCP, payload: bad }))], 0);
  t.deepEqual(s.drain(), []);
  t.is(s.counters().drops.tcp!['tcp-bad-checksum'], 1);
  s.input(iface, [eth(iface.mac!, EtherType.IPv4, ipv4({ src: peer, dst: us, protocol: IpProtocol.TCP, payload: seg }))], 0);
  const out = s.drain().flatMap((d) => d.frames).map(readIpv4);
  t.is(out.length, 1);
  const rst = parseTcp(out[0]!.payload, pseudoHeaderSumV4(us, peer, IpProtocol.TCP, out[0]!.payload.length));
  if (isDrop(rst)) return t.fail(rst.reason);
  t.is(rst.flags, TcpFlag.RST | TcpFlag.ACK);
  t.is(rst.ack, 1001);
  t.true(out[0]!.dontFragment, 'TCP is sent with DF (PMTUD)');
});

test('connect to a neighbour that never answers ARP/NDP fails with EHOSTUNREACH', (t) => {
  const s = new Stack();
  s.addInterface({ mtu: 1500, linkType: 'ethernet' }, { ipv4: '10.0.0.1/24', ipv6: 'fd00::1/64', dad: false });
  for (const remote of ['10.0.0.77', 'fd00::77']) {
    const c = s.tcp.connect({ remote: IpAddress.parse(remote)!, remotePort: 80 }, 0);
    if (isTcpError(c)) return t.fail(c.error);
  }
  for (let now = 0; now <= 3000; now += 100) s.poll(now);
  const errors = s.tcp.takeEvents().filter((e) => e.kind === 'error').map((e) => (e as { code: string }).code);
  t.deepEqual(errors, ['EHOSTUNREACH', 'EHOSTUNREACH']);
});

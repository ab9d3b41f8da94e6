import test from 'ava';
import * as wire from '../../../stack/wire';
import { parseTcp } from '../../../stack/wire/tcp';
import { parseIpv4 as parseIpv4Text } from '../../../stack/wire/address';
import { parseIpv4 as parseIpv4Packet } from '../../../stack/wire/ipv4';

test('every wire module is reachable under its namespace, names that repeat stay apart', (t) => {
  t.is(wire.tcp.parseTcp, parseTcp);
  t.is(wire.address.parseIpv4, parseIpv4Text);
  t.is(wire.ipv4.parseIpv4, parseIpv4Packet);
  const namespaces = [
    wire.checksum, wire.address, wire.payload, wire.ipProtocol, wire.ethernet, wire.arp, wire.ipv4, wire.ipv6,
    wire.ipv6Ext, wire.icmpv4, wire.icmpv6, wire.ndp, wire.ndpOptions, wire.tcp, wire.tcpOptions, wire.udp,
  ];
  for (const ns of namespaces) t.true(Object.keys(ns).length > 0);
  t.true(wire.isDrop(wire.drop('x')));
  t.true(wire.drop('x') instanceof wire.Drop);
});

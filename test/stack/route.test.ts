import test from 'ava';
import { RouteTable, MAX_ROUTES } from '../../stack/route';
import { IpAddress } from '../../stack/wire/address';

const ip = (s: string): IpAddress => IpAddress.parse(s)!;

test('longest prefix wins, then metric; families never mix', (t) => {
  const rt = new RouteTable();
  rt.add({ prefix: ip('0.0.0.0'), prefixLen: 0, gateway: ip('10.0.0.1'), iface: 1 });
  rt.add({ prefix: ip('10.0.0.77'), prefixLen: 24, iface: 1 });
  rt.add({ prefix: ip('10.0.0.128'), prefixLen: 25, iface: 2, metric: 5 });
  rt.add({ prefix: ip('10.0.0.128'), prefixLen: 25, iface: 3, metric: 1 });
  t.is(rt.lookup(ip('10.0.0.5'))!.iface, 1);
  t.is(rt.lookup(ip('10.0.0.5'))!.gateway, null);
  t.is(rt.lookup(ip('10.0.0.200'))!.iface, 3);
  t.is(rt.lookup(ip('8.8.8.8'))!.gateway!.toString(), '10.0.0.1');
  t.is(rt.lookup(ip('2001:db8::1')), null);
  t.is(rt.list()[1]!.prefix.toString(), '10.0.0.0');
});

test('IPv6 prefixes with non-octet lengths', (t) => {
  const rt = new RouteTable();
  rt.add({ prefix: ip('2001:db8::'), prefixLen: 33, iface: 1 });
  t.truthy(rt.lookup(ip('2001:db8:7fff::1')));
  t.is(rt.lookup(ip('2001:db8:8000::1')), null);
  t.is(rt.remove(ip('2001:db8::'), 33), 1);
  t.is(rt.lookup(ip('2001:db8::1')), null);
});

test('bad prefix lengths and a full table are clear errors', (t) => {
  const rt = new RouteTable();
  t.throws(() => rt.add({ prefix: ip('1.2.3.4'), prefixLen: 33, iface: 0 }), { instanceOf: RangeError });
  t.throws(() => rt.add({ prefix: ip('1.2.3.4'), prefixLen: 8, gateway: ip('::1'), iface: 0 }), { instanceOf: TypeError });
  for (let i = 0; i < MAX_ROUTES; i++) rt.add({ prefix: IpAddress.v4(i << 8), prefixLen: 24, iface: 0 });
  t.throws(() => rt.add({ prefix: ip('200.0.0.0'), prefixLen: 24, iface: 0 }), { instanceOf: RangeError });
});

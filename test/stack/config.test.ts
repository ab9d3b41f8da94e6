import test from 'ava';
import { Stack } from '../../stack/stack';

const link = { mtu: 1500, linkType: 'ethernet' as const };

test('bad configuration is a clear TypeError or RangeError', (t) => {
  const s = new Stack();
  t.throws(() => s.addInterface(link, { ipv4: '10.0.0.1' }), { instanceOf: TypeError, message: /prefix length/ });
  t.throws(() => s.addInterface(link, { ipv4: '10.0.0.300/24' }), { instanceOf: TypeError });
  t.throws(() => s.addInterface(link, { ipv4: '10.0.0.1/33' }), { instanceOf: RangeError });
  t.throws(() => s.addInterface(link, { ipv4: 'fd00::1/64' }), { instanceOf: TypeError });
  t.throws(() => s.addInterface(link, { ipv6: 'fd00::1/129' }), { instanceOf: RangeError });
  t.throws(() => s.addInterface(link, { ipv4: '224.0.0.5/4' }), { instanceOf: RangeError });
  t.throws(() => s.addInterface(link, { ipv4: '10.0.0.1/24', gateway4: 'banana' }), { instanceOf: TypeError });
  t.throws(() => s.addInterface(link, { mtu: 20 }), { instanceOf: RangeError });
  t.throws(() => s.addInterface(link, { mac: '01:00:00:00:00:01' }), { instanceOf: RangeError });
  t.throws(() => s.addInterface(link, { mac: 'zz' }), { instanceOf: TypeError });
  t.throws(() => s.addInterface({ mtu: 1500, linkType: 'token-ring' } as never, {}), { instanceOf: TypeError });
  t.throws(() => s.addInterface(link, { ipv4: 42 } as never), { instanceOf: TypeError });
  t.throws(() => s.addInterface({ mtu: 600, linkType: 'ethernet' }, { ipv6: 'fd00::1/64' }), { instanceOf: RangeError });
  t.throws(() => new Stack({ ttl: 0 }), { instanceOf: RangeError });
  t.throws(() => s.addRoute({ destination: '10.9.0.0/16', gateway: '10.0.0.1' }), { instanceOf: RangeError }); // gateway not on-link
  t.is(s.interfaces.length, 1, 'failed calls added nothing');
});

test('routes: connected, default gateway, static', (t) => {
  const s = new Stack();
  const i = s.addInterface(link, { ipv4: ['10.0.0.2/24', '10.1.0.2/16'], gateway4: '10.0.0.1', ipv6: 'fd00::2/64', gateway6: 'fe80::1' });
  s.addRoute({ destination: '172.16.0.0/12', gateway: '10.1.0.1' });
  const r = s.routes().map((x) => `${x.prefix}/${x.prefixLen} via ${x.gateway ?? '-'} dev ${x.iface}`);
  t.deepEqual(r, [
    '127.0.0.0/8 via - dev 0',
    '::1/128 via - dev 0',
    '10.0.0.0/24 via - dev 1',
    '10.1.0.0/16 via - dev 1',
    'fe80::/64 via - dev 1',
    'fd00::/64 via - dev 1',
    '0.0.0.0/0 via 10.0.0.1 dev 1',
    '::/0 via fe80::1 dev 1',
    '172.16.0.0/12 via 10.1.0.1 dev 1',
  ]);
  t.is(i.name, 'eth0');
});

import test from 'ava';
import { parseIpv4, formatIpv4, parseIpv6, formatIpv6, parseMac, formatMac, IpAddress } from '../../../stack/wire/address';

test('IPv4 text round-trips and refuses junk', (t) => {
  t.is(formatIpv4(parseIpv4('192.168.0.255')!), '192.168.0.255');
  for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', 'a.b.c.d', '', '1..2.3']) t.is(parseIpv4(bad), null, bad);
});

test('IPv6 text follows RFC 5952', (t) => {
  const cases: Array<[string, string]> = [
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:0db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::1', '::1'],
    ['::', '::'],
    ['fe80::1', 'fe80::1'],
    ['::ffff:10.0.0.1', '::ffff:10.0.0.1'],
    ['FD00:2::100', 'fd00:2::100'],
  ];
  for (const [input, want] of cases) t.is(formatIpv6(parseIpv6(input)!), want, input);
  for (const bad of ['1::2::3', '12345::', ':::', '1:2:3:4:5:6:7:8:9', 'g::1', '1.2.3.4::', 'fe80::1%eth0']) {
    t.is(parseIpv6(bad), null, bad);
  }
});

test('MAC text round-trips', (t) => {
  t.is(formatMac(parseMac('02:00:AA:bb:0c:1')!), '02:00:aa:bb:0c:01');
  t.is(parseMac('02:00:aa'), null);
});

test('IpAddress keys and predicates', (t) => {
  const a = IpAddress.parse('127.0.0.1')!;
  t.true(a.isLoopback());
  t.is(a.family, 4);
  t.true(IpAddress.parse('::1')!.isLoopback());
  t.true(IpAddress.parse('ff02::1')!.isMulticast());
  t.true(IpAddress.parse('10.0.0.1')!.equals(IpAddress.parse('10.0.0.1')!));
  t.not(IpAddress.parse('::a00:1')!.key, IpAddress.parse('10.0.0.1')!.key);
  t.is(IpAddress.parse('nope'), null);
});

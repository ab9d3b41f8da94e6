import test from 'ava';
import { EtherType, IpProtocol, ETHERTYPE_MIN, etherTypeName, ipProtocolName, hex16 } from '../../../stack/wire/ip-protocol';

test('assigned numbers match the IANA registries', (t) => {
  t.deepEqual(EtherType, { IPv4: 0x0800, ARP: 0x0806, VLAN: 0x8100, IPv6: 0x86dd, QinQ: 0x88a8 });
  t.is(ETHERTYPE_MIN, 1536);
  t.deepEqual(
    [IpProtocol.HopByHop, IpProtocol.ICMP, IpProtocol.TCP, IpProtocol.UDP, IpProtocol.IPv6Route, IpProtocol.IPv6Frag,
      IpProtocol.ESP, IpProtocol.AH, IpProtocol.ICMPv6, IpProtocol.IPv6NoNxt, IpProtocol.IPv6Opts],
    [0, 1, 6, 17, 43, 44, 50, 51, 58, 59, 60],
  );
});

test('names for known numbers, hex for the rest', (t) => {
  t.is(etherTypeName(0x0800), 'IPv4');
  t.is(etherTypeName(0x88cc), '0x88cc');
  t.is(ipProtocolName(6), 'TCP');
  t.is(ipProtocolName(58), 'ICMP6');
  t.is(ipProtocolName(132), 'ip-proto-0x84');
  t.is(hex16(0x800), '0x0800');
});

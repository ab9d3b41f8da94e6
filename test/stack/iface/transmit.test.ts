/**
 * `NetInterface.transmit` and the neighbour queue with the headroom convention
 * (stack/wire/payload.ts): the Ethernet header goes into granted room, else the packet is copied;
 * a packet that waited for ARP is framed by copying when it is released.
 */

import test from 'ava';
import { Stack } from '../../../stack/stack';
import { ArpOp, emitArp, ARP_LEN } from '../../../stack/wire/arp';
import { EtherType } from '../../../stack/wire/ip-protocol';
import { formatMac, MAC_BROADCAST, parseMac } from '../../../stack/wire/address';
import { parseEthernet } from '../../../stack/wire/ethernet';
import { isDrop } from '../../../stack/wire/drop';
import { sendIpv4OnLink } from '../../../stack/arp/arp';
import type { NetHost } from '../../../stack/ip/host';
import { eth, v4, PEER_MAC } from '../frames';

const OUR_MAC = '02:00:00:00:00:01';

function setup() {
  const s = new Stack({ seed: 1 });
  const iface = s.addInterface({ mtu: 1500, linkType: 'ethernet' }, { ipv4: '10.0.0.1/24', mac: OUR_MAC });
  s.drain();
  return { s, iface };
}

test('with 14 bytes of headroom the frame is the packet grown at its front, same memory', (t) => {
  const { iface } = setup();
  const buf = new Uint8Array(14 + 28);
  const packet = buf.subarray(14);
  packet.fill(0xab);
  t.true(iface.transmit(EtherType.IPv4, PEER_MAC, packet, 14));
  const [frame] = iface.takeOutbox();
  t.is(frame!.buffer, buf.buffer);
  t.is(frame!.byteOffset, 0);
  const e = parseEthernet(frame!);
  if (isDrop(e)) return t.fail(e.reason);
  t.is(formatMac(e.dst), formatMac(PEER_MAC));
  t.is(formatMac(e.src), OUR_MAC);
  t.is(e.etherType, EtherType.IPv4);
  t.is(e.payload.length, 28);
  t.true(e.payload.every((x) => x === 0xab));
});

test('without enough headroom the packet is copied into a new frame, and the caller\'s bytes in front are left alone', (t) => {
  const { iface } = setup();
  const buf = new Uint8Array(10 + 28).fill(0x11);
  const packet = buf.subarray(10);
  t.true(iface.transmit(EtherType.IPv4, PEER_MAC, packet, 10));
  const [frame] = iface.takeOutbox();
  t.not(frame!.buffer, buf.buffer);
  t.is(frame!.length, 14 + 28);
  t.true(buf.subarray(0, 10).every((x) => x === 0x11), 'not ours to write');
  t.true(iface.transmit(EtherType.IPv4, PEER_MAC, packet), 'no headroom argument: copies');
  t.not(iface.takeOutbox()[0]!.buffer, buf.buffer);
});

test('a packet with headroom that waits for ARP goes out intact, framed by copying, once the neighbour answers', (t) => {
  const { s, iface } = setup();
  const host = (s as unknown as { host: NetHost }).host;
  const buf = new Uint8Array(14 + 20 + 8);
  const packet = buf.subarray(14);
  for (let i = 0; i < packet.length; i++) packet[i] = i;
  sendIpv4OnLink(host, iface, v4('10.0.0.2'), packet, 0, 14);
  const out = s.drain().flatMap((d) => d.frames);
  t.is(out.length, 1, 'only the ARP request');
  const request = parseEthernet(out[0]!);
  t.true(!isDrop(request) && request.etherType === EtherType.ARP);
  const reply = new Uint8Array(ARP_LEN);
  emitArp({ op: ArpOp.Reply, sha: PEER_MAC, spa: v4('10.0.0.2'), tha: parseMac(OUR_MAC)!, tpa: v4('10.0.0.1') }, reply);
  s.input(iface, [eth(parseMac(OUR_MAC)!, EtherType.ARP, reply)], 1);
  const released = s.drain().flatMap((d) => d.frames);
  t.is(released.length, 1);
  const e = parseEthernet(released[0]!);
  if (isDrop(e)) return t.fail(e.reason);
  t.is(formatMac(e.dst), formatMac(PEER_MAC));
  t.deepEqual([...e.payload], [...packet]);
  t.notDeepEqual(e.dst, MAC_BROADCAST);
});

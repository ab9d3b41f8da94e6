/**
 * Frames and packets for the wire tests, built by hand from the RFC layouts (checksums computed
 * by a small script; every frame was decoded with `tcpdump -v` and tshark to confirm fields and
 * checksums). Comments name each field in order.
 */

/** Joins hex strings (spaces ignored) into one array. */
export function bytes(...parts: string[]): Uint8Array {
  const hex = parts.join('').replace(/\s+/g, '');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export const arpRequestFrame = bytes(
  'ff ff ff ff ff ff', // destination: broadcast
  '02 00 00 00 00 01', // source 02:00:00:00:00:01
  '08 06', // EtherType ARP
  '00 01', // htype Ethernet
  '08 00', // ptype IPv4
  '06', // hlen 6
  '04', // plen 4
  '00 01', // op request
  '02 00 00 00 00 01', // sha
  '0a 00 00 01', // spa 10.0.0.1
  '00 00 00 00 00 00', // tha (unknown)
  '0a 00 00 02', // tpa 10.0.0.2
  // Ethernet padding to 60 bytes
  '00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00',
  '00 00',
);

export const arpReplyFrame = bytes(
  '02 00 00 00 00 01', // destination
  '02 00 00 00 00 02', // source
  '08 06', // EtherType ARP
  '00 01', // htype Ethernet
  '08 00', // ptype IPv4
  '06', // hlen 6
  '04', // plen 4
  '00 02', // op reply
  '02 00 00 00 00 02', // sha 02:00:00:00:00:02
  '0a 00 00 02', // spa 10.0.0.2
  '02 00 00 00 00 01', // tha
  '0a 00 00 01', // tpa 10.0.0.1
);

export const ipv4EchoRequestFrame = bytes(
  '02 00 00 00 00 02', // destination
  '02 00 00 00 00 01', // source
  '08 00', // EtherType IPv4
  '45', // version 4, IHL 5
  'b9', // TOS 0xb9: DSCP 46 (EF), ECN 1
  '00 54', // total length 84
  '12 34', // identification 0x1234
  '40 00', // flags DF, fragment offset 0
  '40', // TTL 64
  '01', // protocol ICMP
  '13 ba', // header checksum 0x13ba
  '0a 00 00 01', // source 10.0.0.1
  '0a 00 00 02', // destination 10.0.0.2
  '08', // ICMP type 8 echo request
  '00', // code 0
  '24 65', // checksum 0x2465
  '00 01', // identifier 1
  '00 02', // sequence 2
  // 56 bytes of data
  '01 08 0f 16 1d 24 2b 32 39 40 47 4e 55 5c 63 6a',
  '71 78 7f 86 8d 94 9b a2 a9 b0 b7 be c5 cc d3 da',
  'e1 e8 ef f6 fd 04 0b 12 19 20 27 2e 35 3c 43 4a',
  '51 58 5f 66 6d 74 7b 82',
);

export const ipv4OptionsFragment = bytes(
  '46', // version 4, IHL 6 (one option word)
  '00', // TOS 0
  '00 24', // total length 36
  'be ef', // identification 0xbeef
  '20 b9', // flags MF, fragment offset 185 (1480 bytes)
  '01', // TTL 1
  '11', // protocol UDP
  'a2 6e', // header checksum 0xa26e
  'c0 a8 01 0a', // source 192.168.1.10
  'e0 00 00 fb', // destination 224.0.0.251
  '94 04 00 00', // option: Router Alert (RFC 2113)
  '14 e9 00 35 00 0c 00 00 61 62 63 64', // 12 bytes of payload
  '00 00 00 00 00 00', // trailing bytes past total length (padding)
);

export const icmpv4FragNeeded = bytes(
  '03', // type 3 destination unreachable
  '04', // code 4 fragmentation needed
  '37 32', // checksum 0x3732
  '00 00', // unused
  '05 78', // next-hop MTU 1400
  // invoking IPv4 header 10.0.0.2 > 198.51.100.7 TCP
  '45 00 05 dc 00 07 40 00 3f 06 01 d9 0a 00 00 02',
  'c6 33 64 07',
  'c0 00 00 50 00 00 00 01', // first 8 bytes of its TCP header
);

export const ipv6EchoRequestFrame = bytes(
  '02 00 00 00 00 02', // destination
  '02 00 00 00 00 01', // source
  '86 dd', // EtherType IPv6
  '6b 81 23 45', // version 6, traffic class 0xb8, flow label 0x12345
  '00 40', // payload length 64
  '3a', // next header ICMPv6
  '40', // hop limit 64
  'fe 80 00 00 00 00 00 00 00 00 00 00 00 00 00 01', // source fe80::1
  'fe 80 00 00 00 00 00 00 00 00 00 00 00 00 00 02', // destination fe80::2
  '80', // type 128 echo request
  '00', // code 0
  'ae e5', // checksum 0xaee5
  '00 01', // identifier 1
  '00 02', // sequence 2
  // 56 bytes of data
  '01 08 0f 16 1d 24 2b 32 39 40 47 4e 55 5c 63 6a',
  '71 78 7f 86 8d 94 9b a2 a9 b0 b7 be c5 cc d3 da',
  'e1 e8 ef f6 fd 04 0b 12 19 20 27 2e 35 3c 43 4a',
  '51 58 5f 66 6d 74 7b 82',
);

export const ipv6ExtensionChain = bytes(
  '60 00 00 00', // version 6, traffic class 0, flow label 0
  '00 44', // payload length 68
  '00', // next header 0 Hop-by-Hop
  '40', // hop limit 64
  '20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01', // source 2001:db8::1
  '20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02', // destination 2001:db8::2
  '3c 00', // HBH @40: next header 60 DestOpts, hdr ext len 0 (8 bytes)
  '05 02 00 00', // option Router Alert (type 5, len 2, value 0)
  '01 00', // option PadN (len 0)
  '2b 01', // DestOpts @48: next header 43 Routing, hdr ext len 1 (16 bytes)
  '01 0c 00 00 00 00 00 00 00 00 00 00 00 00', // option PadN (len 12)
  '2c 02 03 00', // Routing @64: next header 44 Fragment, hdr ext len 2 (24 bytes), routing type 3, segments left 0
  // reserved, one address 2001:db8::99
  '00 00 00 00 20 01 0d b8 00 00 00 00 00 00 00 00',
  '00 00 00 99',
  '11 00', // Fragment @88: next header 17 UDP, reserved
  '04 d1', // fragment offset 154 (1232 bytes), M=1
  'de ad be ef', // identification 0xdeadbeef
  '03 e8 07 d0 00 0c 00 00 77 78 79 7a', // upper layer @96: 12 bytes
);

export const ndpNeighborSolicitation = bytes(
  '87', // type 135 neighbor solicitation
  '00', // code 0
  '7a 97', // checksum 0x7a97 (fe80::1 > ff02::1:ff00:2)
  '00 00 00 00', // reserved
  'fe 80 00 00 00 00 00 00 00 00 00 00 00 00 00 02', // target fe80::2
  '01 01', // option 1 source link-layer address, length 1
  '02 00 00 00 00 01', // 02:00:00:00:00:01
);

export const ndpNeighborAdvertisement = bytes(
  '88', // type 136 neighbor advertisement
  '00', // code 0
  '18 1a', // checksum 0x181a (fe80::2 > fe80::1)
  '60 00 00 00', // flags R=0 S=1 O=1, reserved
  'fe 80 00 00 00 00 00 00 00 00 00 00 00 00 00 02', // target fe80::2
  '02 01', // option 2 target link-layer address, length 1
  '02 00 00 00 00 02', // 02:00:00:00:00:02
);

export const ndpRouterSolicitation = bytes(
  '85', // type 133 router solicitation
  '00', // code 0
  '7a 2c', // checksum 0x7a2c (fe80::1 > ff02::2)
  '00 00 00 00', // reserved
  '01 01', // option 1 source link-layer address, length 1
  '02 00 00 00 00 01', // 02:00:00:00:00:01
);

export const ndpRouterAdvertisement = bytes(
  '86', // type 134 router advertisement
  '00', // code 0
  '6a d6', // checksum 0x6ad6 (fe80::2 > ff02::1)
  '40', // cur hop limit 64
  'c0', // flags M=1 O=1
  '07 08', // router lifetime 1800 s
  '00 00 75 30', // reachable time 30000 ms
  '00 00 03 e8', // retrans timer 1000 ms
  '01 01', // option 1 source link-layer address, length 1
  '02 00 00 00 00 02', // 02:00:00:00:00:02
  '05 01 00 00', // option 5 MTU, length 1, reserved
  '00 00 05 dc', // MTU 1500
  '03 04 40 c0', // option 3 prefix information, length 4, prefix length 64, flags L=1 A=1
  '00 01 51 80', // valid lifetime 86400
  '00 00 38 40', // preferred lifetime 14400
  '00 00 00 00', // reserved2
  '20 01 0d b8 00 01 00 00 00 00 00 00 00 00 00 00', // prefix 2001:db8:1::
  '19 03', // option 25 RDNSS (unknown here, skipped), length 3
  '00 00 00 00 00 00', // reserved, lifetime 0
  '20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 53', // 2001:db8::53
);

export const ndpRedirect = bytes(
  '89', // type 137 redirect
  '00', // code 0
  '96 ff', // checksum 0x96ff (fe80::2 > fe80::1)
  '00 00 00 00', // reserved
  'fe 80 00 00 00 00 00 00 00 00 00 00 00 00 00 99', // target fe80::99
  '20 01 0d b8 00 05 00 00 00 00 00 00 00 00 00 09', // destination 2001:db8:5::9
  '02 01', // option 2 target link-layer address, length 1
  '02 00 00 00 00 02', // 02:00:00:00:00:02
  '04 07', // option 4 redirected header, length 7 (56 bytes)
  '00 00 00 00 00 00', // reserved
  // quoted IPv6 header fe80::1 > 2001:db8:5::9 UDP
  '60 00 00 00 00 08 11 3f fe 80 00 00 00 00 00 00',
  '00 00 00 00 00 00 00 01 20 01 0d b8 00 05 00 00',
  '00 00 00 00 00 00 00 09',
  '0f a0 00 35 00 08 00 00', // quoted UDP header
);

export const icmpv6PacketTooBig = bytes(
  '02', // type 2 packet too big
  '00', // code 0
  '10 de', // checksum 0x10de (2001:db8::2 > 2001:db8::1)
  '00 00 05 00', // MTU 1280
  // invoking IPv6 header 2001:db8::1 > 2001:db8::2 TCP
  '60 00 00 00 05 78 06 40 20 01 0d b8 00 00 00 00',
  '00 00 00 00 00 00 00 01 20 01 0d b8 00 00 00 00',
  '00 00 00 00 00 00 00 02',
  '01 bb c3 50 00 00 00 01', // its first 8 bytes
);

export const qinqArpReply = bytes(
  '02 00 00 00 00 01', // destination
  '02 00 00 00 00 02', // source
  '88 a8', // TPID 802.1ad (S-tag)
  'a0 0a', // PCP 5, DEI 0, VID 10
  '81 00', // TPID 802.1Q (C-tag)
  '70 64', // PCP 3, DEI 1, VID 100
  '08 06', // EtherType ARP
  '00 01', // htype Ethernet
  '08 00', // ptype IPv4
  '06', // hlen 6
  '04', // plen 4
  '00 02', // op reply
  '02 00 00 00 00 02', // sha 02:00:00:00:00:02
  '0a 00 00 02', // spa 10.0.0.2
  '02 00 00 00 00 01', // tha
  '0a 00 00 01', // tpa 10.0.0.1
);

/**
 * A deep copy with ordinary prototypes and owned byte arrays, so that property tests can compare
 * a parsed repr (views, plain objects) with a generated one (fast-check builds null-prototype
 * records) using `deepStrictEqual`.
 */
export function plain<T>(x: T): T {
  if (x instanceof Uint8Array) return Uint8Array.from(x) as T;
  if (Array.isArray(x)) return x.map((e: unknown) => plain(e)) as T;
  if (x !== null && typeof x === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) out[k] = plain(v);
    return out as T;
  }
  return x;
}

/**
 * Emits into a zeroed buffer and into one full of 0xa5 and returns the first; throws when they
 * differ, which means the emitter left a byte it owns (reserved field, padding) unwritten.
 */
export function emitTwice(len: number, emit: (into: Uint8Array) => void): Uint8Array {
  const clean = new Uint8Array(len);
  const dirty = new Uint8Array(len).fill(0xa5);
  emit(clean);
  emit(dirty);
  for (let i = 0; i < len; i++) {
    if (clean[i] !== dirty[i]) throw new Error(`byte ${i} of ${len} was not written by the emitter`);
  }
  return clean;
}

/**
 * Identifiers an interface makes up from the stack's seeded random source when it is not given
 * one: a MAC address for an Ethernet link, an IPv6 interface identifier for a link without MACs.
 */

import type { SeededRandom } from '../random';
import { IpAddress, type MacAddress } from '../wire/address';

/** A unicast, locally administered MAC address (IEEE 802 §8.2.2). */
export function randomMac(random: SeededRandom): MacAddress {
  const m = new Uint8Array(6);
  for (let i = 0; i < 6; i++) m[i] = random.next32() & 0xff;
  m[0] = (m[0]! & 0xfe) | 0x02; // unicast, locally administered (IEEE 802 §8.2.2)
  return m;
}

/** A link-local address for links without a MAC: a random interface identifier (RFC 7217 spirit). */
export function randomLinkLocal(random: SeededRandom): IpAddress {
  const a = new Uint8Array(16);
  a[0] = 0xfe;
  a[1] = 0x80;
  for (let i = 8; i < 16; i++) a[i] = random.next32() & 0xff;
  return IpAddress.v6(a);
}

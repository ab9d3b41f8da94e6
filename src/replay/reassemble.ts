/**
 * Reassembly of a fragmented ICMP message from the capture (RFC 791 §3.2, RFC 8200 §4.5), only
 * as far as the replay needs it: the whole echo data of a ping the endpoint's application sent.
 * Fragments are matched by family, source, destination and identification; overlaps take the
 * first copy. Not a stack component: the capture is trusted to be a capture, bounded by itself.
 */

import { isDrop } from '../../stack/wire/drop';
import { parseIcmpv4 } from '../../stack/wire/icmpv4';
import { parseIcmpv6 } from '../../stack/wire/icmpv6';
import type { IcmpRepr, Packet } from './packet';

/**
 * The ICMP message whose first fragment is `first`, put back together from the fragments in
 * `packets`; `first.icmp` itself when it is not fragmented; null when a fragment is missing.
 */
export function reassembledIcmp(packets: readonly Packet[], first: Packet): IcmpRepr | null {
  const ip = first.ip;
  if (ip === undefined) return null;
  if (ip.fragment === undefined) return first.icmp ?? null;
  const id = ip.fragment.id;
  const parts = packets.filter(
    (p) => p.ip !== undefined && p.ip.fragment !== undefined && p.ip.fragment.id === id && p.ip.family === ip.family && p.ip.src.equals(ip.src) && p.ip.dst.equals(ip.dst),
  );
  parts.sort((a, b) => a.ip!.fragment!.offset - b.ip!.fragment!.offset);
  const last = parts.find((p) => !p.ip!.fragment!.more);
  if (last === undefined) return null;
  const total = last.ip!.fragment!.offset + last.ip!.upperLength;
  const whole = new Uint8Array(total);
  let filled = 0;
  for (const p of parts) {
    const f = p.ip!.fragment!;
    if (f.offset > filled) return null; // a hole
    const bytes = p.frame.subarray(p.ip!.upperOffset, p.ip!.upperOffset + p.ip!.upperLength);
    const end = Math.min(total, f.offset + bytes.length);
    if (end > filled) {
      whole.set(bytes.subarray(filled - f.offset, end - f.offset), filled);
      filled = end;
    }
  }
  if (filled < total) return null;
  const m = ip.family === 4 ? parseIcmpv4(whole, { verifyChecksum: false }) : parseIcmpv6(whole);
  return isDrop(m) ? null : m;
}

/**
 * Payload placement shared by the emitters of headers that carry an upper layer (Ethernet,
 * IPv4, IPv6), and the headroom convention of the transmit path. An upper layer may emit its
 * bytes in place, right after the space left for the headers below it, so that building a frame
 * copies nothing; otherwise the emitter copies them.
 *
 * Headroom: a function that takes a packet `p` together with a number `headroom` may overwrite
 * the `headroom` bytes just before `p` in `p.buffer` (`p.byteOffset − headroom` up to
 * `p.byteOffset`) — the caller allocated them for exactly that and keeps no other view of them.
 * The number is always passed explicitly, never inferred from `byteOffset` (a view into someone
 * else's buffer has bytes before it that are not ours). Each layer that writes its header into
 * the room in front passes on what is left.
 */

/** The largest link header we emit: Ethernet II without VLAN tags (we never tag what we send). */
export const LINK_HEADROOM = 14;

/** The fixed headers our IP output writes in front of a transport segment (no options). */
const IPV4_HEADER_BYTES = 20;
const IPV6_HEADER_BYTES = 40;

/** Room a transport segment leaves in front of itself for the IP header and the link header. */
export function transportHeadroom(family: 4 | 6): number {
  return LINK_HEADROOM + (family === 4 ? IPV4_HEADER_BYTES : IPV6_HEADER_BYTES);
}

/**
 * `packet` grown by `bytes` at its front, over the headroom the caller granted: a view of the
 * same memory, nothing copied. Throws RangeError when `headroom` is smaller than `bytes` — the
 * caller must check first and take the copying path instead.
 */
export function claimHeadroom(packet: Uint8Array, headroom: number, bytes: number): Uint8Array {
  if (headroom < bytes || packet.byteOffset < bytes) throw new RangeError(`claimHeadroom: ${bytes} bytes wanted, ${headroom} granted`);
  return new Uint8Array(packet.buffer, packet.byteOffset - bytes, packet.byteLength + bytes);
}

/**
 * The packet a `headerBytes` header and `payload` go into: over the granted headroom when it is
 * enough (the payload is already in place), else a new buffer with room for the link header in
 * front (the emitter then copies the payload in). `headroomLeft` tells what room the result has.
 */
export function packetFor(payload: Uint8Array, headroom: number, headerBytes: number): Uint8Array {
  if (headroom >= headerBytes) return claimHeadroom(payload, headroom, headerBytes);
  return new Uint8Array(LINK_HEADROOM + headerBytes + payload.length).subarray(LINK_HEADROOM);
}

/** The headroom in front of the packet `packetFor(payload, headroom, headerBytes)` returned. */
export function headroomLeft(headroom: number, headerBytes: number): number {
  return headroom >= headerBytes ? headroom - headerBytes : LINK_HEADROOM;
}

/**
 * Copies `payload` to `into[at..]` unless it already is that very region of the same buffer.
 * After this call the caller's `into` holds the payload; `payload` itself is only read.
 */
export function copyPayloadUnlessInPlace(payload: Uint8Array, into: Uint8Array, at: number): void {
  if (payload.length === 0) return;
  if (payload.buffer === into.buffer && payload.byteOffset === into.byteOffset + at) return;
  into.set(payload, at);
}

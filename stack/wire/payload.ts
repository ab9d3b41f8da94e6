/**
 * Payload placement shared by the emitters of headers that carry an upper layer (Ethernet,
 * IPv4, IPv6). An upper layer may emit its bytes in place, right after the space left for the
 * header, so that building a frame copies nothing; otherwise the emitter copies them.
 */

/**
 * Copies `payload` to `into[at..]` unless it already is that very region of the same buffer.
 * After this call the caller's `into` holds the payload; `payload` itself is only read.
 */
export function copyPayloadUnlessInPlace(payload: Uint8Array, into: Uint8Array, at: number): void {
  if (payload.length === 0) return;
  if (payload.buffer === into.buffer && payload.byteOffset === into.byteOffset + at) return;
  into.set(payload, at);
}

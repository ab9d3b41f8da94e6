/**
 * The TCP header (RFC 9293 §3.1) and its options: MSS (RFC 9293 §3.2), window scale and
 * timestamps (RFC 7323), SACK-permitted and SACK blocks (RFC 2018).
 *
 * CONTRACT (fixed; the TCP engine is written against these types):
 */

/** Control bits, as a bitmask in the order of the header's flags byte. */
export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

/** One SACK block (RFC 2018 §3): the left edge and the right edge (first sequence number after). */
export interface SackBlock {
  readonly left: number;
  readonly right: number;
}

/** Options as the engine uses them; absent means the option was not in the segment. */
export interface TcpOptions {
  mss?: number;
  windowScale?: number;
  sackPermitted?: boolean;
  sack?: SackBlock[];
  timestamp?: { tsVal: number; tsEcr: number };
}

export interface TcpRepr {
  srcPort: number;
  dstPort: number;
  /** Raw 32-bit sequence and acknowledgment numbers (unsigned). */
  seq: number;
  ack: number;
  /** Bitmask of TcpFlag. */
  flags: number;
  /** The 16-bit window field as sent, before any window scaling. */
  window: number;
  urgent: number;
  options: TcpOptions;
  /** The segment's data: a view into the packet when parsed; the sender's bytes when emitted. */
  payload: Uint8Array;
}

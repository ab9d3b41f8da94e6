/**
 * Resets for segments that match no connection (RFC 9293 §3.10.7.1, "If the state is CLOSED")
 * and for unacceptable ACKs at a listener (§3.10.7.2): "If the ACK bit is off, sequence number
 * zero is used, <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; if the ACK bit is on,
 * <SEQ=SEG.ACK><CTL=RST>". A RST is never answered with a RST.
 */

import { TcpFlag, type TcpRepr } from '../wire/tcp';
import { segmentLength } from './input';
import { seqAdd } from './seq';

export function resetFor(seg: TcpRepr): TcpRepr | null {
  if ((seg.flags & TcpFlag.RST) !== 0) return null;
  const base = {
    srcPort: seg.dstPort,
    dstPort: seg.srcPort,
    window: 0,
    urgent: 0,
    options: {},
    payload: new Uint8Array(0),
  };
  if ((seg.flags & TcpFlag.ACK) !== 0) return { ...base, seq: seg.ack, ack: 0, flags: TcpFlag.RST };
  return { ...base, seq: 0, ack: seqAdd(seg.seq, segmentLength(seg)), flags: TcpFlag.RST | TcpFlag.ACK };
}

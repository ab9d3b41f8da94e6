/**
 * TCP conversations of the endpoint in a capture (RFC 9293 §3.4 for the sequence-number space):
 * the 4-tuple seen from the endpoint, who opened it, and both initial sequence numbers, so that
 * sequence and acknowledgment numbers can be read relative to them and rebased onto usernet's.
 */

import type { IpAddress } from '../../stack/wire/address';
import { TcpFlag, type TcpRepr } from '../../stack/wire/tcp';
import { isEndpointAddress, sentBy, type Endpoint } from './endpoint';
import type { Packet } from './packet';

/**
 * `client`: the endpoint sent the SYN. `server`: it answered one with SYN-ACK. `refused`: it
 * answered a SYN with a reset (nothing listened). `midstream`: the capture starts after the
 * handshake, so the conversation cannot be replayed.
 */
export type ConversationRole = 'client' | 'server' | 'refused' | 'midstream';

export interface TcpConversation {
  /** Index in `conversations`, in order of first appearance. */
  id: number;
  /** The endpoint's side. */
  local: IpAddress;
  localPort: number;
  remote: IpAddress;
  remotePort: number;
  role: ConversationRole;
  /** The capture's ISNs: the endpoint's (ISS) and the peer's (IRS), when their SYNs are in it. */
  endpointIsn?: number;
  peerIsn?: number;
  /** Frame numbers of this conversation's segments, in capture order. */
  frames: number[];
}

export function tupleKey(local: IpAddress, localPort: number, remote: IpAddress, remotePort: number): string {
  return `${local.key}|${localPort}|${remote.key}|${remotePort}`;
}

/** The endpoint-side 4-tuple of a TCP packet, or null when the endpoint is neither end. */
export function endpointTuple(ep: Endpoint, p: Packet): { local: IpAddress; localPort: number; remote: IpAddress; remotePort: number } | null {
  if (p.ip === undefined || p.tcp === undefined) return null;
  if (sentBy(ep, p)) return { local: p.ip.src, localPort: p.tcp.srcPort, remote: p.ip.dst, remotePort: p.tcp.dstPort };
  if (isEndpointAddress(ep, p.ip.dst)) return { local: p.ip.dst, localPort: p.tcp.dstPort, remote: p.ip.src, remotePort: p.tcp.srcPort };
  return null;
}

function has(seg: TcpRepr, flag: number): boolean {
  return (seg.flags & flag) !== 0;
}

/** Finds the endpoint's conversations (only those on `ep.spec.port` when a port was given). */
export function findConversations(ep: Endpoint, packets: readonly Packet[]): TcpConversation[] {
  const byKey = new Map<string, TcpConversation>();
  const list: TcpConversation[] = [];
  for (const p of packets) {
    const t = endpointTuple(ep, p);
    if (t === null || (ep.spec.port !== undefined && t.localPort !== ep.spec.port)) continue;
    const key = tupleKey(t.local, t.localPort, t.remote, t.remotePort);
    let c = byKey.get(key);
    if (c === undefined) {
      c = { id: list.length, ...t, role: 'midstream', frames: [] };
      byKey.set(key, c);
      list.push(c);
    }
    c.frames.push(p.number);
    const seg = p.tcp!;
    const mine = sentBy(ep, p);
    if (has(seg, TcpFlag.SYN)) {
      if (mine && c.endpointIsn === undefined) {
        c.endpointIsn = seg.seq;
        if (c.role === 'midstream' || c.role === 'refused') c.role = has(seg, TcpFlag.ACK) ? 'server' : 'client';
      } else if (!mine && c.peerIsn === undefined) {
        c.peerIsn = seg.seq;
      }
    } else if (mine && has(seg, TcpFlag.RST) && c.endpointIsn === undefined && c.peerIsn !== undefined) {
      c.role = 'refused';
    }
  }
  return list;
}

/** Sequence number `seq` relative to `isn` (unsigned 32-bit difference); the raw value without an ISN. */
export function relative(seq: number, isn: number | undefined): number {
  return isn === undefined ? seq >>> 0 : (seq - isn) >>> 0;
}

/**
 * ICMP and ICMPv6 errors about a segment a connection sent (RFC 1122 §4.2.3.9, RFC 5927): believed
 * only when they quote a sequence number in flight; "packet too big" shrinks the segment size and
 * resends (RFC 8201, RFC 1191); unreachables are soft errors except while the connection opens.
 */

import type { IpAddress } from '../wire/address';
import type { ControlBlock } from './control-block';
import type { TcpHost } from './host';
import { retransmitFirst } from './output';
import { seqGe, seqLt } from './seq';
import { isSynchronized } from './state';

export interface IcmpErrorReport {
  kind: 'port-unreachable' | 'host-unreachable' | 'net-unreachable' | 'admin-prohibited' | 'packet-too-big';
  local: IpAddress;
  remote: IpAddress;
  localPort: number;
  remotePort: number;
  seq: number;
  mtu?: number;
}

/** `err` for the connection of its quoted 4-tuple (`cb`, undefined when there is none). */
export function icmpErrorArrives(host: TcpHost, cb: ControlBlock | undefined, err: IcmpErrorReport, now: number): void {
  // RFC 5927 §4.1: believe only errors quoting a sequence number we have outstanding.
  if (cb === undefined || seqLt(err.seq, cb.sndUna) || seqGe(err.seq, cb.sndMax)) {
    host.count('icmp-ignored');
    return;
  }
  host.count(`icmp:${err.kind}`);
  if (err.kind === 'packet-too-big') {
    // RFC 8201 / RFC 1191: the stack has updated its path MTU; shrink and resend at once.
    cb.cc.setMss(cb.effectiveMss);
    if (isSynchronized(cb.state)) retransmitFirst(cb, now);
    return;
  }
  const code = err.kind === 'net-unreachable' ? 'ENETUNREACH' : err.kind === 'port-unreachable' ? 'ECONNREFUSED' : 'EHOSTUNREACH';
  // RFC 1122 §4.2.3.9: these are soft errors; a connection still opening fails at once, as on
  // Linux, an established one only remembers the error and reports it if it times out.
  if (cb.state === 'SYN-SENT') cb.fail(code, `ICMP ${err.kind}`);
  else cb.softError = code === 'ECONNREFUSED' ? 'ECONNRESET' : code;
}

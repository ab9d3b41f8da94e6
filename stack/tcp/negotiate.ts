/**
 * Option negotiation on the handshake: MSS (RFC 9293 §3.7.1; defaults 536/1220 when absent),
 * window scaling and timestamps (RFC 7323 §2.2, §3.2: in effect only when both SYNs carry them),
 * SACK-permitted (RFC 2018 §2).
 */

import type { TcpRepr } from '../wire/tcp';
import { type ControlBlock, DEFAULT_MSS_V4, DEFAULT_MSS_V6, MAX_WINDOW_SCALE } from './control-block';
import { windowScaleFor } from './output';

function peerMssOf(cb: ControlBlock, seg: TcpRepr): number {
  const fallback = cb.local.family === 4 ? DEFAULT_MSS_V4 : DEFAULT_MSS_V6;
  const m = seg.options.mss;
  return m === undefined || m === 0 ? fallback : m;
}

/** Our SYN is about to go out: decide what it offers. */
export function prepareSyn(cb: ControlBlock): void {
  const o = cb.host.options;
  cb.offeredWscale = o.windowScaling ? windowScaleFor(cb.opts.receiveBufferSize) : undefined;
  cb.rcvWscale = cb.offeredWscale ?? 0;
}

/** The peer's SYN-ACK (or SYN, in a simultaneous open) answers our offer. */
export function negotiateFromSynAck(cb: ControlBlock, seg: TcpRepr): void {
  adoptPeerOptions(cb, seg, cb.offeredWscale);
}

/** A SYN arrived at a listener: accept what the peer offers that we support. */
export function negotiateFromSyn(cb: ControlBlock, seg: TcpRepr): void {
  const o = cb.host.options;
  adoptPeerOptions(cb, seg, o.windowScaling ? windowScaleFor(cb.opts.receiveBufferSize) : undefined);
}

/**
 * Settles what the connection uses from the peer's SYN or SYN-ACK: its MSS; window scaling when
 * we offer (or offered) `ourShift` and the segment carries a shift too; timestamps and SACK when
 * we support them and the segment offers them.
 */
function adoptPeerOptions(cb: ControlBlock, seg: TcpRepr, ourShift: number | undefined): void {
  const o = cb.host.options;
  cb.peerMss = peerMssOf(cb, seg);
  if (ourShift !== undefined && seg.options.windowScale !== undefined) {
    // RFC 7323 §2.3: a shift above 14 is used as 14.
    cb.sndWscale = Math.min(MAX_WINDOW_SCALE, seg.options.windowScale);
    cb.offeredWscale = ourShift;
    cb.rcvWscale = ourShift;
  } else {
    cb.sndWscale = 0;
    cb.rcvWscale = 0;
    cb.offeredWscale = undefined;
  }
  const ts = seg.options.timestamp;
  cb.tsEnabled = o.timestamps && ts !== undefined;
  if (ts !== undefined && cb.tsEnabled) cb.tsRecent = ts.tsVal;
  cb.sackEnabled = o.sack && seg.options.sackPermitted === true;
  cb.cc.setMss(cb.effectiveMss);
}

/**
 * The boundary between a connection and the engine that owns it. A control block calls these to
 * hand out segments and events and to report state changes; the engine keeps the tables.
 */

import type { IpAddress } from '../wire/address';
import type { TcpRepr } from '../wire/tcp';
import type { ControlBlock } from './control-block';
import type { TcpEvent } from './events';
import type { TcpEngineOptions } from './options';
import type { TcpState } from './state';

export interface TcpEnvironment {
  /** 32 random bits from the stack's seeded source (ISN secret, ephemeral ports). */
  random32(): number;
  /** Path MTU toward `remote` from `local` (IP packet size); the engine subtracts 20/40 + 20. */
  mtuFor(local: IpAddress, remote: IpAddress): number;
  /** The source address the stack would use to reach `remote`, or null (no route). */
  sourceAddressFor(remote: IpAddress): IpAddress | null;
  /** True when `addr` is one of the stack's own addresses (listen/bind checks). */
  isLocalAddress(addr: IpAddress): boolean;
  /**
   * TCP segmentation offload toward `remote` (`LinkOffloads.txTcpSegmentation` agreed on the
   * route's interface, and no path MTU below the interface's): the largest IP packet the link
   * cuts into MTU-sized segments; 0 when segments must fit the MTU. Optional: absent means 0.
   */
  tcpSegmentationFor?(local: IpAddress, remote: IpAddress): number;
  /**
   * Memory for a frame of `bytes` bytes (headroom included) toward `remote`, from the outgoing
   * interface's frame pool (`stack/iface/frame-pool.ts`), or null: allocate. Optional.
   */
  frameBuffer?(remote: IpAddress, bytes: number): Uint8Array | null;
}

export interface TcpSegmentOut {
  src: IpAddress;
  dst: IpAddress;
  repr: TcpRepr;
  /**
   * Set when the engine placed the data already: `tcpHeaderLen(repr)` bytes of room for the TCP
   * header, then `repr.payload` (a view of these same bytes). The network layer emits the
   * header into it and sends it without copying the data again; `headroom` bytes in front of it
   * are free for the IP and link headers (`stack/wire/payload.ts`). Absent: the network layer
   * builds the segment, copying `repr.payload`.
   */
  segment?: Uint8Array;
  headroom?: number;
}

export interface TcpHost {
  readonly env: TcpEnvironment;
  readonly options: TcpEngineOptions;
  /** Queues a segment for the network layer; ownership of `repr` (not its payload) passes on. */
  transmit(seg: TcpSegmentOut): void;
  /** Queues a user event. */
  emit(ev: TcpEvent): void;
  /** Asks for `poll` to try sending on this connection (after a write, a read, an option change). */
  wake(cb: ControlBlock): void;
  /** Bumps a named counter (`netstat -s` style). */
  count(name: string): void;
  /** Called by `setState` after every transition, so the engine can maintain its tables. */
  stateChanged(cb: ControlBlock, prev: TcpState, next: TcpState): void;
  /**
   * A passively opened connection's handshake is completing: true when its listener's accept
   * queue has room (the engine then reports `accept`), false to ignore the ACK (RFC 9293 leaves
   * the choice; Linux drops it and lets the SYN-ACK be retransmitted).
   */
  admit(cb: ControlBlock): boolean;
  /** The latest `now` the engine was given (for user calls, which carry no time). */
  readonly lastNow: number;
  /**
   * True while the segment being processed lies in memory the stack owns (its link declared
   * `framesOwnedByReceiver`): its payload may then be kept as a view instead of copied.
   */
  readonly payloadOwned: boolean;
  /** True while the TIME-WAIT table has room for one more block. */
  timeWaitRoom(): boolean;
  /** 32 random bits (secrets, jitter). */
  random32(): number;
  /**
   * The timestamp clock's offset for a 4-tuple (RFC 7323 §5.4): a keyed hash, so connections on
   * the same 4-tuple see one clock and each incarnation's TSvals are beyond the last one's — which
   * is what lets a peer holding the old one in TIME-WAIT accept the new SYN (RFC 6191).
   */
  tsOffsetFor(local: IpAddress, localPort: number, remote: IpAddress, remotePort: number): number;
  /** RFC 5961 §7: true when the engine's challenge-ACK budget allows one more at `now`. */
  challengeAckAllowed(now: number): boolean;
}

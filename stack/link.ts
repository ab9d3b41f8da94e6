/**
 * The boundary between the stack and whatever carries its frames (DESIGN.md, "Drivers").
 * Implemented by the TAP driver, memory links, the pcap replay driver and the wrappers that
 * compose over them (`impair`, `capture`); users implement it for links of their own.
 */

export type LinkType = 'ethernet' | 'ip';

/**
 * Work a link can take off the stack, as a network card does for the kernel (Linux's
 * NETIF_F_HW_CSUM and NETIF_F_TSO on transmit, CHECKSUM_UNNECESSARY and GRO on receive). A
 * driver says what it can do in `LinkDriver.offloads`; the stack tells it what it will use with
 * `useOffloads` before `start`. Nothing is used unless both sides agree, so a driver that offers
 * nothing, or a stack told `offloads: false`, sees plain frames with complete checksums.
 */
export interface LinkOffloads {
  /**
   * Transmit checksum offload for TCP: in segments that follow an IPv4 header without options
   * or an IPv6 header without extension headers, the checksum field holds only the folded
   * pseudo-header sum (not complemented, as Linux leaves it for CHECKSUM_PARTIAL), and the link
   * completes it. Every TCP segment the stack sends then has such a partial checksum.
   */
  txTcpChecksum?: true;
  /**
   * TCP segmentation offload: TCP segments may be larger than the MTU, up to this many bytes of
   * IP packet; the link cuts them into segments that fit the MTU, each with a copy of the IP and
   * TCP headers (PSH and FIN only on the last), as TSO does. Needs `txTcpChecksum`.
   */
  txTcpSegmentation?: number;
  /**
   * Receive offload: frames may be larger than the MTU (TCP segments the sending kernel did not
   * cut, or coalesced), and frames marked in `receive`'s `checksumVouched` carry a TCP or UDP
   * checksum the link vouches for — the field may hold only the pseudo-header sum and must not be
   * verified.
   */
  rxChecksumAndCoalescing?: true;
}

/**
 * Where a driver gives back the memory of frames it is done with (`LinkDriver.useFramePool`),
 * so that the stack can build later frames in it instead of allocating (a fresh 64 KiB
 * ArrayBuffer per TCP segment costs more in garbage collection than the segment's own work).
 */
export interface FramePoolReturn {
  /**
   * `frame`, once given to `send`, will never be read or kept by the driver again: its memory
   * may be overwritten from now on. Frames whose memory the pool did not lend are ignored, and
   * so is a second release of the same frame.
   */
  release(frame: Uint8Array): void;
}

export interface LinkDriver {
  /** Largest payload of a frame (the IP packet), not counting the 14-byte Ethernet header. */
  readonly mtu: number;
  /** 'ethernet': frames carry an Ethernet II header. 'ip': frames are bare IPv4/IPv6 packets. */
  readonly linkType: LinkType;
  /**
   * Set by a driver whose delivered frames become the receiver's once `receive` is called: each
   * frame lies over memory nothing else references (a fresh copy, as memory links make on send),
   * which the driver never reads or reuses again. The receiver may then keep views into frames
   * instead of copying them (the TCP receive path hands payloads to the user as they are).
   * Absent means the driver owns the frames' memory until `receive` returns; drivers that reuse
   * their buffers (TAP) and wrappers that keep or share frames (`capture`, `impair`) leave it out.
   */
  readonly framesOwnedByReceiver?: true;
  /** What the driver can take off the stack (see `LinkOffloads`); absent: nothing. */
  readonly offloads?: LinkOffloads;
  /**
   * Called once before `start` with the offloads the stack will use (a subset of `offloads`,
   * possibly empty). Until then, and for anything left out, frames are plain.
   */
  useOffloads?(agreed: LinkOffloads): void;
  /**
   * Frame recycling, for drivers that know when they are done with a sent frame (the TAP driver:
   * after a successful write the kernel has copied the bytes). Called at most once, before
   * `start`. A driver that returns true promises to call `pool.release(frame)` for frames passed
   * to `send` once it no longer references them — written, refused, or dropped (queue full,
   * closed) — at most once per frame and never for one it still holds (a frame waiting in a
   * queue is released only once it was written). The stack then builds some frames in memory
   * it took back. False (or no method): frames are never released and the stack allocates.
   * Links that hand sent frames to someone else (memory links pass the frame itself to the
   * receiver) and wrappers that keep frames (`impair` delays, reorders and duplicates them)
   * must not accept; a wrapper passes the pool on only when it keeps no reference itself.
   */
  useFramePool?(pool: FramePoolReturn): boolean;
  /**
   * Starts delivery. `receive` is called with batches of frames in arrival order. The driver
   * owns the frames' memory until `receive` returns: a receiver that keeps bytes must copy them
   * (unless `framesOwnedByReceiver` says otherwise). Called once. `checksumVouched`, given only
   * when `rxChecksumAndCoalescing` was agreed, is nonzero at `i` when frame `i`'s TCP or UDP
   * checksum must be taken as correct without looking at it.
   */
  start(receive: (frames: Uint8Array[], checksumVouched?: Uint8Array) => void): void;
  /**
   * Sends frames in order. The driver may keep references to the frames until they are written,
   * so callers must not reuse their bytes after this call — unless and until the driver gives a
   * frame back through the pool of `useFramePool`.
   */
  send(frames: Uint8Array[]): void;
  /** Stops delivery and releases the link; resolves when nothing more will be delivered. */
  close(): Promise<void>;
}

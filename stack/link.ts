/**
 * The boundary between the stack and whatever carries its frames (DESIGN.md, "Drivers").
 * Implemented by the TAP driver, memory links, the pcap replay driver and the wrappers that
 * compose over them (`impair`, `capture`); users implement it for links of their own.
 */

export type LinkType = 'ethernet' | 'ip';

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
  /**
   * Starts delivery. `receive` is called with batches of frames in arrival order. The driver
   * owns the frames' memory until `receive` returns: a receiver that keeps bytes must copy them
   * (unless `framesOwnedByReceiver` says otherwise). Called once.
   */
  start(receive: (frames: Uint8Array[]) => void): void;
  /**
   * Sends frames in order. The driver may keep references to the frames until they are written,
   * so callers must not reuse their bytes after this call.
   */
  send(frames: Uint8Array[]): void;
  /** Stops delivery and releases the link; resolves when nothing more will be delivered. */
  close(): Promise<void>;
}

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
   * Starts delivery. `receive` is called with batches of frames in arrival order. The driver
   * owns the frames' memory until `receive` returns: a receiver that keeps bytes must copy them.
   * Called once.
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

/**
 * Terminating every TCP connection a namespace opens, whatever its destination (the "transparent
 * proxy" of slirp4netns and pasta). The stack's interface delivers TCP for any destination
 * address (`acceptAnyDestination`); the TCP engine, though, only has listeners per port. So this
 * link wrapper looks at each received frame, and when a SYN arrives for a port with no listener
 * yet, it opens a wildcard listener for that port (`0.0.0.0` or `::` IPv6-only) on the stack's
 * `net`, holding the frames back until the listener is up so that the SYN finds it. An accepted
 * socket's local address and port are the destination the client asked for.
 *
 * Listeners are bounded (`MAX_INTERCEPT_PORTS` per family); past the bound, the one whose port
 * saw a SYN least recently is closed (its accepted connections live on).
 */

import createDebug from 'debug';
import type { LinkDriver } from '../../stack/link';
import { synDestination } from './syn-peek';
import type { NetApi, RelayServer, RelaySocket } from './types';

const log = createDebug('usernet:relay');

/** Listening ports per family; a port scan from the namespace cannot grow the table past this. */
export const MAX_INTERCEPT_PORTS = 1024;
/** Frames held while listeners open; beyond this the oldest held frames are dropped. */
export const MAX_HELD_FRAMES = 4096;

type PortKey = `${4 | 6}/${number}`;

export class Interceptor {
  /** Per family and port: the server (once listening) or null when listening failed. */
  private readonly servers = new Map<PortKey, RelayServer | null>();
  private readonly opening = new Map<PortKey, Promise<void>>();
  private closed = false;

  constructor(
    private readonly net: NetApi,
    private readonly onConnection: (socket: RelaySocket) => void,
    private readonly maxPorts = MAX_INTERCEPT_PORTS,
  ) {}

  /** Wraps `inner` so that SYNs arriving on it open listeners first. */
  link(inner: LinkDriver): LinkDriver {
    return new InterceptLink(inner, this);
  }

  /** Ports with a listener, e.g. `['4/80', '6/443']`. */
  get ports(): string[] {
    return [...this.servers.entries()].filter(([, s]) => s !== null).map(([k]) => k);
  }

  /** True when every SYN in `frames` has its listener (or its listen failed). */
  ready(frames: readonly Uint8Array[]): boolean {
    return frames.every((f) => {
      const d = synDestination(f);
      return d === null || this.touch(`${d.family}/${d.port}`);
    });
  }

  /** Opens the listeners the SYNs in `frames` need; resolves when all are up (or failed). */
  prepare(frames: readonly Uint8Array[]): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const f of frames) {
      const d = synDestination(f);
      if (d === null) continue;
      const key: PortKey = `${d.family}/${d.port}`;
      if (this.servers.has(key)) continue;
      let p = this.opening.get(key);
      if (p === undefined) {
        p = this.openListener(key, d.family, d.port);
        this.opening.set(key, p);
      }
      waits.push(p);
    }
    return Promise.all(waits).then(() => undefined);
  }

  /** Marks `key` as recently used; true when it needs no listener to be opened. */
  private touch(key: PortKey): boolean {
    const s = this.servers.get(key);
    if (s === undefined) return false;
    // Map order is insertion order: re-inserting makes it the most recently used.
    this.servers.delete(key);
    this.servers.set(key, s);
    return true;
  }

  private async openListener(key: PortKey, family: 4 | 6, port: number): Promise<void> {
    const server = this.net.createServer({ allowHalfOpen: true }, (s) => this.onConnection(s));
    const host = family === 4 ? '0.0.0.0' : '::';
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port, host, ipv6Only: family === 6 }, () => {
          server.removeListener('error', reject);
          resolve();
        });
      });
      server.on('error', (e) => log('listener %s: %s', key, e.message));
      if (this.closed) {
        server.close();
        return;
      }
      this.servers.set(key, server);
      log('listening for intercepted connections on %s', key);
      this.evict(family);
    } catch (e) {
      // Someone else listens here (a service on a specific address): the engine answers alone.
      log('cannot intercept %s: %s', key, (e as Error).message);
      this.servers.set(key, null);
    } finally {
      this.opening.delete(key);
    }
  }

  private evict(family: 4 | 6): void {
    const mine = [...this.servers.entries()].filter(([k, s]) => s !== null && k.startsWith(`${family}/`));
    for (let i = 0; i < mine.length - this.maxPorts; i++) {
      const [k, s] = mine[i]!;
      this.servers.delete(k);
      s!.close();
      log('closed least recently used intercept listener %s', k);
    }
  }

  /**
   * Stops every listener. Accepted connections are not touched (they belong to the relay or a
   * service), so this does not wait for them as `server.close`'s callback would.
   */
  close(): Promise<void> {
    this.closed = true;
    for (const s of this.servers.values()) s?.close();
    this.servers.clear();
    return Promise.resolve();
  }
}

/** The link wrapper: frames pass through unless a SYN needs a listener first. */
class InterceptLink implements LinkDriver {
  readonly mtu: number;
  readonly linkType: LinkDriver['linkType'];
  /** Batches held (copied) while listeners open, in arrival order. */
  private held: Uint8Array[][] = [];
  private heldFrames = 0;
  private receive: ((frames: Uint8Array[]) => void) | null = null;

  constructor(
    private readonly inner: LinkDriver,
    private readonly interceptor: Interceptor,
  ) {
    this.mtu = inner.mtu;
    this.linkType = inner.linkType;
  }

  start(receive: (frames: Uint8Array[]) => void): void {
    this.receive = receive;
    this.inner.start((frames) => this.arrive(frames));
  }

  private arrive(frames: Uint8Array[]): void {
    if (this.held.length === 0 && this.interceptor.ready(frames)) {
      this.receive?.(frames);
      return;
    }
    // The driver reuses its buffers after this call: keep copies (ownership moves here).
    const copy = frames.map((f) => new Uint8Array(f));
    this.held.push(copy);
    this.heldFrames += copy.length;
    while (this.heldFrames > MAX_HELD_FRAMES && this.held.length > 1) this.heldFrames -= this.held.shift()!.length;
    void this.interceptor.prepare(copy).then(() => this.release());
  }

  /** Delivers held batches in order, stopping at one whose listeners are still opening. */
  private release(): void {
    while (this.held.length > 0) {
      const next = this.held[0]!;
      if (!this.interceptor.ready(next)) return;
      this.held.shift();
      this.heldFrames -= next.length;
      this.receive?.(next);
    }
  }

  send(frames: Uint8Array[]): void {
    this.inner.send(frames);
  }

  close(): Promise<void> {
    this.held = [];
    this.receive = null;
    return this.inner.close();
  }
}

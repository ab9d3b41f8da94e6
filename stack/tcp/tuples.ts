/**
 * The engine's demultiplexing table (RFC 9293 §3.10.7): every connection under its 4-tuple
 * (local address and port, remote address and port), one at most per tuple.
 */

import type { IpAddress } from '../wire/address';
import type { ControlBlock } from './control-block';

function tupleKey(local: IpAddress, localPort: number, remote: IpAddress, remotePort: number): string {
  return `${local.key}|${localPort}|${remote.key}|${remotePort}`;
}

/** Whether `p` is a port number (0 included: "any" where the caller allows it). */
export function validPort(p: number): boolean {
  return Number.isInteger(p) && p >= 0 && p <= 65535;
}

export class ConnectionTable<C extends ControlBlock = ControlBlock> {
  private readonly byTuple = new Map<string, C>();

  get(local: IpAddress, localPort: number, remote: IpAddress, remotePort: number): C | undefined {
    return this.byTuple.get(tupleKey(local, localPort, remote, remotePort));
  }

  has(local: IpAddress, localPort: number, remote: IpAddress, remotePort: number): boolean {
    return this.byTuple.has(tupleKey(local, localPort, remote, remotePort));
  }

  /** Files `cb` under its tuple (replacing whatever was there). */
  add(cb: C): void {
    this.byTuple.set(tupleKey(cb.local, cb.localPort, cb.remote, cb.remotePort), cb);
  }

  /** Removes `cb`, if its tuple still holds it (not a newer block that reopened the tuple). */
  remove(cb: ControlBlock): void {
    const key = tupleKey(cb.local, cb.localPort, cb.remote, cb.remotePort);
    if (this.byTuple.get(key) === cb) this.byTuple.delete(key);
  }

  values(): IterableIterator<C> {
    return this.byTuple.values();
  }
}

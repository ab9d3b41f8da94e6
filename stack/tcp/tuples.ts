/**
 * The engine's demultiplexing table (RFC 9293 §3.10.7): every connection under its 4-tuple
 * (local address and port, remote address and port), one at most per tuple.
 */

import type { IpAddress } from '../wire/address';
import type { ControlBlock } from './control-block';

/**
 * The two ports as one number (below 2^32, exact in a double): the table's key. The addresses
 * are compared within the key's bucket — usually one block, more only when several local or
 * remote addresses use the same port pair. A key built as text cost a string per lookup, and
 * every segment in looks its connection up.
 */
function portsKey(localPort: number, remotePort: number): number {
  return localPort * 65536 + remotePort;
}

function sameTuple(cb: ControlBlock, local: IpAddress, localPort: number, remote: IpAddress, remotePort: number): boolean {
  return cb.localPort === localPort && cb.remotePort === remotePort && cb.local.key === local.key && cb.remote.key === remote.key;
}

/** Whether `p` is a port number (0 included: "any" where the caller allows it). */
export function validPort(p: number): boolean {
  return Number.isInteger(p) && p >= 0 && p <= 65535;
}

export class ConnectionTable<C extends ControlBlock = ControlBlock> {
  /** Port pair → the blocks with those ports (distinct address pairs), in the order filed. */
  private readonly byPorts = new Map<number, C[]>();

  get(local: IpAddress, localPort: number, remote: IpAddress, remotePort: number): C | undefined {
    const bucket = this.byPorts.get(portsKey(localPort, remotePort));
    if (bucket === undefined) return undefined;
    for (const cb of bucket) if (sameTuple(cb, local, localPort, remote, remotePort)) return cb;
    return undefined;
  }

  has(local: IpAddress, localPort: number, remote: IpAddress, remotePort: number): boolean {
    return this.get(local, localPort, remote, remotePort) !== undefined;
  }

  /** Files `cb` under its tuple (replacing whatever was there). */
  add(cb: C): void {
    const key = portsKey(cb.localPort, cb.remotePort);
    const bucket = this.byPorts.get(key);
    if (bucket === undefined) {
      this.byPorts.set(key, [cb]);
      return;
    }
    const i = bucket.findIndex((o) => sameTuple(o, cb.local, cb.localPort, cb.remote, cb.remotePort));
    if (i >= 0) bucket[i] = cb;
    else bucket.push(cb);
  }

  /** Removes `cb`, if its tuple still holds it (not a newer block that reopened the tuple). */
  remove(cb: ControlBlock): void {
    const key = portsKey(cb.localPort, cb.remotePort);
    const bucket = this.byPorts.get(key);
    if (bucket === undefined) return;
    const i = bucket.indexOf(cb as C);
    if (i < 0) return;
    if (bucket.length === 1) this.byPorts.delete(key);
    else bucket.splice(i, 1);
  }

  *values(): IterableIterator<C> {
    for (const bucket of this.byPorts.values()) yield* bucket;
  }
}

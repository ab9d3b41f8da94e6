/** poll(2) for scripts: each descriptor's readiness as Linux's tcp_poll reports it. */

import type { Expr } from './ast';
import { ok, type ScriptSocket, type SyscallOutcome } from './socket-state';
import { evaluate, exprText, SYMBOLS } from './symbols';

/** poll(2) readiness of one descriptor (`undefined`: not open), as Linux's tcp_poll reports it. */
export function revents(s: ScriptSocket | undefined, events: number): number {
  if (s === undefined) return SYMBOLS.POLLNVAL!;
  let r = 0;
  if (s.listener !== undefined) return s.acceptQueue.length > 0 ? SYMBOLS.POLLIN! & events : 0;
  const cs = s.state;
  if (cs === undefined) return SYMBOLS.POLLOUT! | SYMBOLS.POLLHUP!;
  const readable = cs.chunks.length > 0 || cs.conn.stats().receiveQueued > 0;
  if (cs.soError !== undefined) r |= SYMBOLS.POLLERR!;
  if (cs.dead) r |= SYMBOLS.POLLHUP! | SYMBOLS.POLLIN! | SYMBOLS.POLLRDHUP!;
  if (readable || cs.peerFin) r |= SYMBOLS.POLLIN!;
  if (cs.peerFin) r |= SYMBOLS.POLLRDHUP!;
  if (cs.peerFin && cs.writeShut) r |= SYMBOLS.POLLHUP!;
  if ((cs.established && !cs.writeShut && cs.conn.writableLength > 0) || cs.dead) r |= SYMBOLS.POLLOUT!;
  return r & (events | SYMBOLS.POLLERR! | SYMBOLS.POLLHUP! | SYMBOLS.POLLNVAL!);
}

/** poll(2) over the script's pollfd array; `readiness` gives one descriptor's revents. */
export function poll(args: Expr[], readiness: (fd: number, events: number) => number): SyscallOutcome {
  const list = args[0];
  if (list === undefined || list.kind !== 'array') return { kind: 'mismatch', message: 'poll needs an array of {fd=…, events=…} structures' };
  const entries: Array<{ fd: number; events: number; revents: Expr | undefined }> = [];
  for (const item of list.items) {
    if (item.kind !== 'struct') return { kind: 'mismatch', message: `poll: ${exprText(item)} is not a pollfd structure` };
    const get = (n: string): Expr | undefined => item.fields.find((f) => f.name === n)?.value;
    const fd = evaluate(get('fd') ?? { kind: 'ellipsis' });
    const events = evaluate(get('events') ?? { kind: 'int', value: 0 });
    if (typeof fd === 'string' || typeof events === 'string') return { kind: 'mismatch', message: `poll: ${exprText(item)}: ${String(fd)} ${String(events)}` };
    entries.push({ fd, events, revents: get('revents') });
  }
  const timeout = args[2] === undefined ? 0 : evaluate(args[2]);
  if (typeof timeout === 'string') return { kind: 'mismatch', message: `poll timeout: ${timeout}` };
  const finish = (must: boolean): SyscallOutcome | undefined => {
    const got = entries.map((e) => readiness(e.fd, e.events));
    const ready = got.filter((r) => r !== 0).length;
    if (ready === 0 && !must) return undefined;
    for (let i = 0; i < entries.length; i++) {
      const want = entries[i]!.revents;
      if (want === undefined) continue;
      const w = evaluate(want);
      if (w !== got[i]) return { kind: 'mismatch', message: `poll: fd ${entries[i]!.fd} revents expected ${exprText(want)}, actual ${reventsText(got[i]!)}` };
    }
    return ok(ready);
  };
  if (timeout === 0) return finish(true)!;
  const retry = (): SyscallOutcome => finish(false) ?? { kind: 'block', retry, onTimeout: () => finish(true)!, ...(timeout > 0 ? { timeoutUs: timeout * 1000 } : {}) };
  return retry();
}

function reventsText(r: number): string {
  if (r === 0) return '0';
  const names = ['POLLIN', 'POLLPRI', 'POLLOUT', 'POLLERR', 'POLLHUP', 'POLLNVAL', 'POLLRDHUP'].filter((n) => (r & SYMBOLS[n]!) !== 0);
  return names.join('|');
}

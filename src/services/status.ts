/**
 * What a running stack looks like from outside: its TCP connections with what `ss -ti` shows
 * for the kernel's (state, cwnd, ssthresh, rtt, rto, bytes in flight, retransmissions), and its
 * counters. Shared by `usernet netns --stats`, `usernet serve` and the http service's page.
 */

import type { Stack } from '../stack';
import type { TcpConnectionStats } from '../../stack/tcp/connection';
import type { CountersView } from '../../stack/counters';

export interface ConnectionRow extends TcpConnectionStats {
  local: string;
  remote: string;
}

/** What the table and the page read: the stack, plus lines others add (relay totals …). */
export interface StatusSource {
  connections(): ConnectionRow[];
  counters(): CountersView;
  /** Extra `name: value` lines (relay totals, forwards). */
  extra?(): Record<string, string | number>;
}

function endpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The `StatusSource` of a stack; its extra lines start with the busy poller's, when it polls. */
export function stackStatus(stack: Stack, extra?: () => Record<string, string | number>): StatusSource {
  return {
    connections: () =>
      stack.tcp.allConnections().map((c) => ({
        local: endpoint(c.local.toString(), c.localPort),
        remote: endpoint(c.remote.toString(), c.remotePort),
        ...c.stats(),
      })),
    counters: () => stack.counters(),
    extra: () => ({ ...busyPollLines(stack), ...(extra?.() ?? {}) }),
  };
}

/** The busy poller's window and counts (src/busy-poll.ts); nothing when it is off. */
function busyPollLines(stack: Stack): Record<string, string | number> {
  const b = stack.runtime.busyPoll;
  return b === null ? {} : { 'busy poll: window µs': b.windowUs, 'busy poll: polls/caught/expired': `${b.polls}/${b.caught}/${b.expired}` };
}

function ms(v: number | undefined): string {
  return v === undefined ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(0);
}

/** Kernel-style state names, as `ss` prints them. */
const SS_STATE: Record<string, string> = {
  ESTABLISHED: 'ESTAB',
  'SYN-SENT': 'SYN-SENT',
  'SYN-RECEIVED': 'SYN-RECV',
  'FIN-WAIT-1': 'FIN-WAIT-1',
  'FIN-WAIT-2': 'FIN-WAIT-2',
  'CLOSE-WAIT': 'CLOSE-WAIT',
  'LAST-ACK': 'LAST-ACK',
  CLOSING: 'CLOSING',
  'TIME-WAIT': 'TIME-WAIT',
  LISTEN: 'LISTEN',
  CLOSED: 'CLOSED',
};

/** An `ss -ti`-like table: one line per connection, then its details indented. */
export function formatConnectionTable(rows: readonly ConnectionRow[]): string {
  if (rows.length === 0) return 'no TCP connections\n';
  const wl = Math.max(20, ...rows.map((r) => r.local.length));
  const wr = Math.max(20, ...rows.map((r) => r.remote.length));
  const head = `${'State'.padEnd(11)}${'Recv-Q'.padStart(8)}${'Send-Q'.padStart(8)}  ${'Local Address:Port'.padEnd(wl)}  ${'Peer Address:Port'.padEnd(wr)}`;
  const lines = [head];
  for (const r of rows) {
    lines.push(`${(SS_STATE[r.state] ?? r.state).padEnd(11)}${String(r.receiveQueued).padStart(8)}${String(r.notSent + r.bytesInFlight).padStart(8)}  ${r.local.padEnd(wl)}  ${r.remote.padEnd(wr)}`);
    const opts = [r.timestamps ? 'ts' : '', r.sack ? 'sack' : '', `wscale:${r.sndWscale},${r.rcvWscale}`].filter((x) => x !== '');
    lines.push(
      `\t ${opts.join(' ')} rto:${ms(r.rto)} rtt:${ms(r.srtt)}/${ms(r.rttvar)} mss:${r.mss} rcvmss:${r.rcvMss}` +
        ` cwnd:${r.cwnd} ssthresh:${r.ssthresh > 1e9 ? 'inf' : r.ssthresh} bytes_acked:${r.bytesAcked}` +
        ` bytes_received:${r.bytesReceived} segs_out:${r.segmentsOut} segs_in:${r.segmentsIn}` +
        ` unacked:${r.bytesInFlight} retrans:${r.retransmits} snd_wnd:${r.sndWnd} rcv_wnd:${r.rcvWnd}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Non-zero counters as `group.name value` lines, drops as `group.drop:reason value`. */
export function formatCounters(c: CountersView): string {
  const lines: string[] = [];
  for (const [group, counts] of Object.entries(c.counts)) {
    for (const [name, v] of Object.entries(counts)) if (v !== 0) lines.push(`${group}.${name} ${v}`);
  }
  for (const [group, drops] of Object.entries(c.drops)) {
    for (const [reason, v] of Object.entries(drops)) if (v !== 0) lines.push(`${group}.drop:${reason} ${v}`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/**
 * How a long-running command (`netns`, `serve`) lives and stops: SIGINT/SIGTERM/SIGHUP start a
 * clean shutdown. The first part runs inside the signal handler, synchronously (reset every
 * connection and flush the RSTs), because the harness's last-resort cleanup (`netns/cleanup.ts`)
 * removes namespaces right after; the rest (closing drivers, servers) runs afterwards, and the
 * command exits with 128 + the signal's number. A third signal exits at once.
 */

import type { CommandIo } from './decode';

const SIGNALS: Record<'SIGINT' | 'SIGTERM' | 'SIGHUP', number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

export interface Stopping {
  /** Resolves with 128 + signal number once a stop signal arrived. */
  readonly signalled: Promise<number>;
  /** What to do on a signal: `now` synchronously inside the handler, `later` after it. */
  onSignal(now: () => void, later: () => Promise<void>): void;
}

/** Runs `body` with stop-signal handling installed; returns its status. */
export async function whileRunning(io: CommandIo, body: (s: Stopping) => Promise<number>): Promise<number> {
  let resolveSignal: (n: number) => void = () => undefined;
  const signalled = new Promise<number>((r) => (resolveSignal = r));
  let handlers: { now: () => void; later: () => Promise<void> } | null = null;
  let received = 0;
  const listeners = new Map<NodeJS.Signals, () => void>();
  for (const [sig, num] of Object.entries(SIGNALS) as Array<[NodeJS.Signals, number]>) {
    const l = (): void => {
      received++;
      if (received === 1) {
        io.err(`usernet: ${sig}, shutting down\n`);
        try {
          handlers?.now();
        } catch (e) {
          io.err(`usernet: while resetting connections: ${(e as Error).message}\n`);
        }
        resolveSignal(128 + num);
        if (handlers !== null) void handlers.later().catch(() => undefined);
      } else if (received >= 3) {
        // The harness re-raises the first signal once after its own cleanup; a third one is the
        // user insisting.
        process.exit(128 + num);
      }
    };
    listeners.set(sig, l);
    process.on(sig, l);
  }
  try {
    return await body({
      signalled,
      onSignal(now, later) {
        handlers = { now, later };
      },
    });
  } finally {
    for (const [sig, l] of listeners) process.removeListener(sig, l);
  }
}

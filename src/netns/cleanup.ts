/**
 * Last-resort cleanup for things that outlive a process unless removed: network namespaces,
 * network devices, background processes. Each entry is a synchronous action run once, by its
 * owner when done, or on `exit`, SIGINT, SIGTERM or SIGHUP when the owner never got there.
 */

type Action = () => void;

const actions = new Map<number, { label: string; action: Action }>();
let nextId = 1;
let installed = false;

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Runs every registered action (newest first), each at most once, swallowing their errors. */
export function runAllCleanups(): void {
  const ids = [...actions.keys()].reverse();
  for (const id of ids) {
    const entry = actions.get(id);
    actions.delete(id);
    try {
      entry?.action();
    } catch {
      // Best effort: the thing may already be gone.
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  runAllCleanups();
  uninstall();
  // With our listener gone, the default action (terminate by that signal) applies again,
  // unless someone else listens and decides otherwise.
  process.kill(process.pid, signal);
}

const signalListeners = new Map<NodeJS.Signals, () => void>(SIGNALS.map((s) => [s, () => onSignal(s)]));

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAllCleanups);
  for (const [signal, listener] of signalListeners) process.on(signal, listener);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.removeListener('exit', runAllCleanups);
  for (const [signal, listener] of signalListeners) process.removeListener(signal, listener);
}

/**
 * Registers `action` to run at exit or on a terminating signal. Returns `done(run)`: call it when
 * the owner has cleaned up itself (`run` false) or wants the action now (`run` true).
 */
export function onCleanup(label: string, action: Action): (run: boolean) => void {
  install();
  const id = nextId++;
  actions.set(id, { label, action });
  return (run: boolean) => {
    const entry = actions.get(id);
    if (entry === undefined) return;
    actions.delete(id);
    if (run) entry.action();
    if (actions.size === 0) uninstall();
  };
}

/** Labels of what is still registered (for tests and diagnostics). */
export function pendingCleanups(): string[] {
  return [...actions.values()].map((e) => e.label);
}

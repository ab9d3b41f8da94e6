/**
 * `usernet demo [--memory]`: the namespace story on an embedded default. With root and
 * /dev/net/tun a real namespace served by usernet; elsewhere (or with --memory) two usernet
 * stacks in one process over a memory link, and it says so.
 */

import { canUseNetns } from '../netns/namespace';
import { memoryStory } from '../demo/memory';
import { netnsStory } from '../demo/netns';
import type { CommandIo } from './decode';

export const DEMO_USAGE = `usage: usernet demo [--memory]

Starts a namespace served by usernet with its built-in services (echo, discard, chargen, http),
runs ping, nc and curl inside against them and against a server on the host (through the relay),
and prints what happened, a short segment trace and the connection table. Needs root and
/dev/net/tun; otherwise (or with --memory) the same story runs between two usernet stacks in
this process over a memory link.`;

export async function runDemo(args: readonly string[], io: CommandIo): Promise<number> {
  if (args.includes('-h') || args.includes('--help')) {
    io.out(`${DEMO_USAGE}\n`);
    return 0;
  }
  const unknown = args.find((x) => x !== '--memory');
  if (unknown !== undefined) {
    io.err(`usernet demo: unknown argument ${unknown}\n${DEMO_USAGE}\n`);
    return 2;
  }
  const can = canUseNetns();
  let why = args.includes('--memory') ? '--memory given' : can.ok ? '' : can.reason;
  if (!args.includes('--memory') && can.ok) {
    try {
      return await netnsStory(io);
    } catch (e) {
      // The namespace could not be set up (e.g. the TAP addon is not built): nothing is left.
      why = `cannot start one: ${(e as Error).message}`;
    }
  }
  io.err(`usernet demo: no TAP namespace (${why}); running the same story between two usernet stacks over a memory link\n`);
  return memoryStory(io);
}

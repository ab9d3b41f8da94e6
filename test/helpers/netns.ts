/**
 * Test harness for privileged tests: the namespace core (src/netns) plus ava conveniences that
 * skip clearly when the machine cannot run them and tear everything down through `t.teardown`
 * (and, should the process die first, through the exit and signal hooks of src/netns/cleanup).
 */

import type { ExecutionContext } from 'ava';
import { TapDriver, type TapOpenOptions } from '../../drivers/tap';
import { Netns, canUseNetns, hasCommand, uniqueLinkName, type LinkPlan } from '../../src/netns';

export * from '../../src/netns';

/** Whether TAP tests can run here: root, /dev/net/tun and `ip`; with the reason when not. */
export function canUseTap(): { ok: true } | { ok: false; reason: string } {
  return canUseNetns();
}

/**
 * For the first lines of a privileged test: when TAP (or one of `commands`) is unavailable, logs
 * `skipped: <reason>`, passes, and returns true so the test can `return`.
 */
export function skipUnlessTap(t: ExecutionContext, commands: readonly string[] = []): boolean {
  const can = canUseTap();
  let reason = can.ok ? undefined : can.reason;
  const missing = commands.filter((c) => !hasCommand(c));
  if (reason === undefined && missing.length > 0) reason = `missing ${missing.join(', ')}`;
  if (reason === undefined) return false;
  t.log(`skipped: ${reason}`);
  t.pass();
  return true;
}

/** A namespace removed when the test ends, pass or fail. */
export async function namespaceFor(t: ExecutionContext): Promise<Netns> {
  const ns = await Netns.create();
  t.teardown(() => ns.destroy());
  return ns;
}

/** usernet's and the kernel's addresses on a TAP test link. */
export const TAP_TEST_PLAN = {
  usernet4: '10.211.0.1',
  kernel4: '10.211.0.2',
  usernet6: 'fd00:211::1',
  kernel6: 'fd00:211::2',
  usernetMac: '02:75:6e:00:00:01',
  kernelMac: '02:75:6e:00:00:02',
} as const;

export interface TapInNamespace {
  driver: TapDriver;
  ns: Netns;
  /** The TAP interface's name (the same inside the namespace). */
  dev: string;
}

/**
 * Opens a TAP device with a unique name, moves it into a fresh namespace and configures the
 * kernel side as `TAP_TEST_PLAN` (or `plan`) says, with default routes via usernet. Both are
 * removed when the test ends.
 */
export async function tapInNamespace(
  t: ExecutionContext,
  plan: LinkPlan = {
    ipv4: `${TAP_TEST_PLAN.kernel4}/24`,
    ipv6: `${TAP_TEST_PLAN.kernel6}/64`,
    gateway4: TAP_TEST_PLAN.usernet4,
    gateway6: TAP_TEST_PLAN.usernet6,
    mac: TAP_TEST_PLAN.kernelMac,
  },
  options: TapOpenOptions = {},
): Promise<TapInNamespace> {
  const ns = await namespaceFor(t);
  const driver = TapDriver.open({ name: uniqueLinkName('unt'), ...options });
  t.teardown(() => driver.close());
  const dev = driver.name;
  await ns.moveLink(dev);
  await ns.configureLink(dev, plan);
  return { driver, ns, dev };
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (the kernel's choice for port 0), for tools
 * such as iperf3 that must be told a port. Test files share one process id under ava's worker
 * threads, so ports derived from the pid collide between files.
 */
export async function freeLoopbackPort(): Promise<number> {
  const { createServer } = await import('net');
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as import('net').AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Whether the device has gone from our namespace within `timeoutMs`. A TAP device without
 * IFF_PERSIST is removed when the last reference to its file closes, and a process forked by a
 * concurrently running test file holds a copy of every descriptor until it reaches exec — so
 * right after our close() the device may still exist for a moment.
 */
export async function linkGone(dev: string, timeoutMs = 3000): Promise<boolean> {
  const { linkExists } = await import('../../src/netns');
  const deadline = Date.now() + timeoutMs;
  while (linkExists(dev)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

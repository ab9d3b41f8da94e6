/**
 * The namespace's `/etc/resolv.conf`. `ip netns exec NAME` bind-mounts every file of
 * `/etc/netns/NAME/` over its namesake in `/etc` (iproute2's `bind_etc`, in the private mount
 * namespace it makes for the command), so a `/etc/netns/NAME/resolv.conf` naming usernet's
 * services address makes the namespace's programs ask usernet's DNS forwarder. The file is ours
 * until `remove()` (also run at exit or on a signal); one that was there before is left alone.
 */

import createDebug from 'debug';
import * as fs from 'fs';
import * as path from 'path';
import { onCleanup } from './cleanup';

const log = createDebug('usernet:netns');

export const ETC_NETNS = '/etc/netns';

/** The text usernet writes: a comment saying whose it is, and one `nameserver` line per address. */
export function resolvConfText(namespace: string, nameservers: readonly string[]): string {
  return [
    `# Written by usernet for namespace ${namespace} (pid ${process.pid}); removed when usernet stops.`,
    '# usernet answers DNS on these addresses, forwarding the queries from the host.',
    ...nameservers.map((a) => `nameserver ${a}`),
    '',
  ].join('\n');
}

export class NamespaceResolvConf {
  private readonly forget: (run: boolean) => void;

  private constructor(
    /** The file written, e.g. `/etc/netns/NAME/resolv.conf`. */
    readonly file: string,
    /** Directories we created (innermost first), removed again when empty. */
    private readonly createdDirs: readonly string[],
  ) {
    this.forget = onCleanup(`resolv.conf ${file}`, () => this.removeSync());
  }

  /**
   * Writes `ETC/NAME/resolv.conf` (creating the directories). Returns null, writing nothing, when
   * the file exists already (someone else's configuration for that namespace).
   */
  static write(namespace: string, nameservers: readonly string[], etcNetns = ETC_NETNS): NamespaceResolvConf | null {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(namespace) || namespace === '.' || namespace === '..') throw new Error(`'${namespace}' is not a valid namespace name`);
    const dir = path.join(etcNetns, namespace);
    const file = path.join(dir, 'resolv.conf');
    if (fs.existsSync(file)) {
      log('%s exists: left as it is', file);
      return null;
    }
    const created: string[] = [];
    for (const d of [etcNetns, dir]) {
      if (fs.existsSync(d)) continue;
      fs.mkdirSync(d, { mode: 0o755 });
      created.unshift(d);
    }
    fs.writeFileSync(file, resolvConfText(namespace, nameservers), { mode: 0o644, flag: 'wx' });
    log('%s: nameserver %s', file, nameservers.join(', '));
    return new NamespaceResolvConf(file, created);
  }

  /** Removes the file and the directories `write` created (when nothing else was put there). */
  remove(): void {
    this.forget(true);
  }

  private removeSync(): void {
    try {
      fs.unlinkSync(this.file);
    } catch {
      // Already gone.
    }
    for (const d of this.createdDirs) {
      try {
        fs.rmdirSync(d);
      } catch {
        // Not empty (another namespace's files) or gone.
      }
    }
  }
}

/** Whether tshark can be run here; the tests that need it log a clear line and pass without it. */

import { spawnSync } from 'child_process';

let cached: boolean | undefined;

export function hasTshark(): boolean {
  if (cached === undefined) {
    const r = spawnSync('tshark', ['--version'], { stdio: 'ignore' });
    cached = r.status === 0;
  }
  return cached;
}

/**
 * CPU time: of this process (`process.cpuUsage`), of another process by PID (utime + stime from
 * `/proc/PID/stat`), and of a shell's waited-for children (bash's `times` builtin).
 */

import * as fs from 'fs';

/** User + system CPU seconds this process has used so far. */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

let ticksPerSecond = 100;

/** Sets the clock-tick rate `/proc/PID/stat` counts in (`getconf CLK_TCK`; 100 on Linux). */
export function setClockTicks(hz: number): void {
  if (hz > 0) ticksPerSecond = hz;
}

/**
 * User + system CPU seconds process `pid` has used (its threads included), or null when it is
 * gone or `/proc` cannot be read. Fields 14 and 15 of `/proc/PID/stat` (proc(5)), counted after
 * the parenthesised command name, which may itself hold spaces.
 */
export function procCpuSeconds(pid: number): number | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const fields = text.slice(close + 2).split(' ');
  // After "pid (comm) ", field 3 (state) is index 0, so field N is index N - 3.
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return (utime + stime) / ticksPerSecond;
}

/** CPU seconds of the processes `pids` together (those still readable). */
export function procsCpuSeconds(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) total += procCpuSeconds(pid) ?? 0;
  return total;
}

/**
 * Parses bash's `times` output (two lines: the shell's user/system, then its children's, as
 * `0m1.234s 0m0.056s`) and returns the children's user + system seconds, or null.
 */
export function childSecondsFromTimes(output: string): number | null {
  const lines = output.trim().split('\n').filter((l) => /\d+m[\d.]+s\s+\d+m[\d.]+s/.test(l));
  const last = lines[lines.length - 1];
  if (last === undefined) return null;
  const m = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/.exec(last);
  if (m === null) return null;
  return Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
}

#!/usr/bin/env node
/**
 * Reads `node --cpu-prof` profiles (the V8 `.cpuprofile` JSON) and lists the functions with the
 * most self time, so the hot spots of a bench row can be read without a browser.
 *   node dist/src/bench/profile-summary.js [DIR-or-FILE …] [--top N]
 */

import * as fs from 'fs';
import * as path from 'path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface HotSpot {
  name: string;
  /** Where: file (relative to the repository when inside it) and 1-based line. */
  location: string;
  selfMs: number;
  selfPercent: number;
}

function isProfile(x: unknown): x is CpuProfile {
  return typeof x === 'object' && x !== null && Array.isArray((x as CpuProfile).nodes);
}

function shortUrl(url: string): string {
  const file = url.startsWith('file://') ? url.slice('file://'.length) : url;
  const cwd = process.cwd() + path.sep;
  return file.startsWith(cwd) ? file.slice(cwd.length) : file;
}

/** Self time per function (summed over its nodes), highest first. */
export function hotSpots(profile: CpuProfile): HotSpot[] {
  const byNode = new Map<number, number>();
  if (profile.samples !== undefined && profile.timeDeltas !== undefined) {
    // A sample's time is the delta to the next sample (the last gets the mean).
    const s = profile.samples;
    const d = profile.timeDeltas;
    for (let i = 0; i < s.length; i++) {
      const us = i + 1 < d.length ? d[i + 1]! : (profile.endTime - profile.startTime) / Math.max(1, s.length);
      byNode.set(s[i]!, (byNode.get(s[i]!) ?? 0) + Math.max(0, us));
    }
  } else {
    const interval = (profile.endTime - profile.startTime) / Math.max(1, profile.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0));
    for (const n of profile.nodes) byNode.set(n.id, (n.hitCount ?? 0) * interval);
  }
  let total = 0;
  const byFunction = new Map<string, HotSpot>();
  for (const n of profile.nodes) {
    const us = byNode.get(n.id) ?? 0;
    total += us;
    const f = n.callFrame;
    const name = f.functionName === '' ? '(anonymous)' : f.functionName;
    const location = f.url === '' ? '' : `${shortUrl(f.url)}:${f.lineNumber + 1}`;
    const key = `${name} ${location}`;
    const h = byFunction.get(key) ?? { name, location, selfMs: 0, selfPercent: 0 };
    h.selfMs += us / 1000;
    byFunction.set(key, h);
  }
  const list = [...byFunction.values()].sort((a, b) => b.selfMs - a.selfMs);
  for (const h of list) h.selfPercent = total > 0 ? (h.selfMs * 1000 * 100) / total : 0;
  return list;
}

export function summarizeProfile(file: string, top: number): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    return `${file}: unreadable (${e instanceof Error ? e.message : String(e)})\n`;
  }
  if (!isProfile(parsed)) return `${file}: not a .cpuprofile\n`;
  const spots = hotSpots(parsed);
  const lines = [`${path.basename(file)} (${((parsed.endTime - parsed.startTime) / 1e6).toFixed(1)} s profiled) — top ${top} by self time:`];
  for (const h of spots.slice(0, top)) {
    lines.push(`  ${h.selfPercent.toFixed(1).padStart(5)}%  ${h.selfMs.toFixed(0).padStart(7)} ms  ${h.name}  ${h.location}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Summaries of every `.cpuprofile` in `dir` (or of `dir` itself when it is a file). */
export function summarizeProfileDir(dir: string, top: number): string {
  if (!fs.existsSync(dir)) return `${dir}: no profiles\n`;
  const files = fs.statSync(dir).isDirectory()
    ? fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort().map((f) => path.join(dir, f))
    : [dir];
  if (files.length === 0) return `${dir}: no profiles\n`;
  return files.map((f) => summarizeProfile(f, top)).join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  let top = 20;
  const targets: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--top') top = Number(args[++i]);
    else targets.push(args[i]!);
  }
  if (targets.length === 0) targets.push('bench-profiles');
  for (const t of targets) process.stdout.write(summarizeProfileDir(t, top > 0 ? top : 20));
}

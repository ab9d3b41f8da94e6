/**
 * Expectation files: `NAME.expect.json` next to `NAME.pcap`, listing for each endpoint replayed
 * the differences where usernet is right to differ from the captured stack, each with its
 * reason. A difference an entry matches is printed as allowed and does not fail the replay; an
 * entry that matches nothing is reported, so stale expectations do not linger.
 *
 * ```json
 * { "replays": [ { "as": "10.99.0.2:5001",
 *     "allow": [ { "code": "missing", "subject": "MLDv2 report", "reason": "usernet does not implement MLD" } ] } ] }
 * ```
 *
 * `code` is required; `subject`, `frames` (capture frame numbers) and `contains` (text of the
 * difference's line) narrow the match; `reason` is required and printed. `findings` (same
 * shape) record differences where usernet is wrong: labelled in the report, still failing.
 * Other keys (an `about` text for people) are ignored.
 */

import { existsSync, readFileSync } from 'fs';
import type { DiffCode, Difference } from './difference';

export interface Allowance {
  code: DiffCode;
  subject?: string;
  frames?: number[];
  contains?: string;
  reason: string;
}

export interface ReplayExpectation {
  /** The `--as` text this entry is for. */
  as: string;
  allow: Allowance[];
  /**
   * Known findings: differences where usernet is wrong, written down so that they are tracked
   * (the report labels them, and the replay still fails). Same shape as an allowance; `reason`
   * says what is wrong.
   */
  findings: Allowance[];
}

const CODES: readonly DiffCode[] = ['missing', 'extra', 'flags', 'ack', 'length', 'payload', 'options', 'window', 'timing', 'ack-late', 'field', 'app'];

/** The expectation file belonging to a capture: `x.pcap` → `x.expect.json`. */
export function expectationPathFor(capturePath: string): string {
  return capturePath.replace(/\.(pcapng|pcap|cap)$/i, '') + '.expect.json';
}

function fail(path: string, what: string): never {
  throw new Error(`${path}: ${what}`);
}

/** Reads and checks an expectation file; throws an Error naming the file and the problem. */
export function readExpectations(path: string): ReplayExpectation[] {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    fail(path, e instanceof Error ? e.message : String(e));
  }
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { replays?: unknown }).replays)) fail(path, 'expected an object with a "replays" array');
  const replays = (doc as { replays: unknown[] }).replays;
  return replays.map((r, i) => {
    if (typeof r !== 'object' || r === null) fail(path, `replays[${i}] is not an object`);
    const o = r as Record<string, unknown>;
    if (typeof o['as'] !== 'string') fail(path, `replays[${i}].as must be a string`);
    const allow = o['allow'] ?? [];
    if (!Array.isArray(allow)) fail(path, `replays[${i}].allow must be an array`);
    const findings = o['findings'] ?? [];
    if (!Array.isArray(findings)) fail(path, `replays[${i}].findings must be an array`);
    return {
      as: o['as'],
      allow: allow.map((a, k) => checkAllowance(path, `replays[${i}].allow[${k}]`, a)),
      findings: findings.map((a, k) => checkAllowance(path, `replays[${i}].findings[${k}]`, a)),
    };
  });
}

function checkAllowance(path: string, where: string, a: unknown): Allowance {
  if (typeof a !== 'object' || a === null) fail(path, `${where} is not an object`);
  const o = a as Record<string, unknown>;
  if (typeof o['code'] !== 'string' || !CODES.includes(o['code'] as DiffCode)) fail(path, `${where}.code must be one of ${CODES.join(', ')}`);
  if (typeof o['reason'] !== 'string' || o['reason'].trim() === '') fail(path, `${where}.reason must say why usernet is right to differ`);
  const out: Allowance = { code: o['code'] as DiffCode, reason: o['reason'] };
  if (o['subject'] !== undefined) {
    if (typeof o['subject'] !== 'string') fail(path, `${where}.subject must be a string`);
    out.subject = o['subject'];
  }
  if (o['contains'] !== undefined) {
    if (typeof o['contains'] !== 'string') fail(path, `${where}.contains must be a string`);
    out.contains = o['contains'];
  }
  if (o['frames'] !== undefined) {
    if (!Array.isArray(o['frames']) || !o['frames'].every((n) => Number.isInteger(n) && n > 0)) fail(path, `${where}.frames must be frame numbers`);
    out.frames = o['frames'] as number[];
  }
  return out;
}

/** The entry for `as` in the file next to `capturePath`, if the file and the entry exist. */
export function expectationFor(capturePath: string, as: string): ReplayExpectation | null {
  const path = expectationPathFor(capturePath);
  if (!existsSync(path)) return null;
  return readExpectations(path).find((r) => r.as === as) ?? null;
}

export function matches(a: Allowance, d: Difference): boolean {
  if (a.code !== d.code) return false;
  if (a.subject !== undefined && a.subject !== d.subject) return false;
  if (a.frames !== undefined && (d.frame === undefined || !a.frames.includes(d.frame))) return false;
  if (a.contains !== undefined && !d.text.includes(a.contains)) return false;
  return true;
}

/**
 * Marks each difference that an allowance matches as allowed, and each that a finding matches
 * with the finding (it still counts); tolerated ones are left as they are. Returns the entries
 * of either list that matched nothing.
 */
export function applyExpectations(differences: Difference[], allow: readonly Allowance[], findings: readonly Allowance[] = []): Allowance[] {
  const used = new Set<Allowance>();
  for (const d of differences) {
    if (d.tolerated !== undefined) continue;
    const a = allow.find((x) => matches(x, d));
    if (a !== undefined) {
      d.allowed = a.reason;
      used.add(a);
      continue;
    }
    const f = findings.find((x) => matches(x, d));
    if (f !== undefined) {
      d.finding = f.reason;
      used.add(f);
    }
  }
  return [...allow, ...findings].filter((a) => !used.has(a));
}

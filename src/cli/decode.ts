/**
 * `usernet decode FILE [--json] [-e] [--utc]`: prints every frame of a pcap or pcapng capture,
 * one line each in the spirit of `tcpdump -n -v -S`, or one JSON object per line. Decoding is
 * `decodeFrame`'s; this file only reads the capture and formats.
 */

import { readCaptureFile } from '../../drivers/pcap/read';
import type { PcapFile } from '../../drivers/pcap/format';
import { decodeFrame } from '../decode/frame';
import { formatFrameLine, formatTimeOfDay, frameToJson } from '../decode/format';

export const DECODE_USAGE = `usage: usernet decode FILE [--json] [-e|--link] [--utc]

Prints each frame of FILE (pcap or pcapng) on one line, like tcpdump -n -v -S.
  --json       one JSON object per frame per line, with every decoded field
  -e, --link   also print the Ethernet header (text form)
  --utc        print times in UTC instead of local time (text form)
A frame that makes no sense prints what was decoded and [drop: reason].`;

/** Where the command writes; the CLI passes process streams, tests collect strings. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

interface DecodeArgs {
  file: string;
  json: boolean;
  link: boolean;
  utc: boolean;
}

function parseArgs(args: readonly string[]): DecodeArgs | string {
  const a: DecodeArgs = { file: '', json: false, link: false, utc: false };
  for (const arg of args) {
    if (arg === '--json') a.json = true;
    else if (arg === '-e' || arg === '--link') a.link = true;
    else if (arg === '--utc') a.utc = true;
    else if (arg.startsWith('-') && arg !== '-') return `unknown option ${arg}`;
    else if (a.file !== '') return `one FILE only (got ${a.file} and ${arg})`;
    else a.file = arg;
  }
  return a.file === '' ? 'FILE is missing' : a;
}

/** Lines are written in batches: one write per frame is slow on a large capture. */
const LINES_PER_WRITE = 512;

/** Runs the command; returns the exit status (0 done, 1 unreadable file, 2 bad usage). */
export function runDecode(args: readonly string[], io: CommandIo): number {
  if (args.includes('-h') || args.includes('--help')) {
    io.out(`${DECODE_USAGE}\n`);
    return 0;
  }
  const a = parseArgs(args);
  if (typeof a === 'string') {
    io.err(`usernet decode: ${a}\n${DECODE_USAGE}\n`);
    return 2;
  }
  let capture: PcapFile;
  try {
    capture = readCaptureFile(a.file);
  } catch (e) {
    io.err(`usernet decode: ${a.file}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  let batch: string[] = [];
  capture.records.forEach((rec, i) => {
    const d = decodeFrame(rec.data, capture.linkType);
    if (a.json) {
      const obj = frameToJson(d, { frame: i + 1, timestampNs: rec.timestampNs, originalLength: rec.origLen });
      batch.push(JSON.stringify(obj));
    } else {
      const snapped = rec.truncated || rec.data.length < rec.origLen ? ` [snapped: ${rec.data.length} of ${rec.origLen} bytes]` : '';
      batch.push(formatFrameLine(d, { time: formatTimeOfDay(rec.timestampNs, a.utc), link: a.link }) + snapped);
    }
    if (batch.length === LINES_PER_WRITE) {
      io.out(`${batch.join('\n')}\n`);
      batch = [];
    }
  });
  if (batch.length > 0) io.out(`${batch.join('\n')}\n`);
  if (capture.incomplete) io.err(`usernet decode: ${a.file}: the file ends inside a record; the rest is ignored\n`);
  return 0;
}

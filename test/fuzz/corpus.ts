/**
 * Fuzz support: the seed corpus — every frame of every capture in pcap-fixtures/ (real kernel
 * traffic: ARP, NDP, ICMP, fragments, TCP handshakes, bulk data, resets, UDP).
 */

import { readdirSync } from 'fs';
import { join } from 'path';
import { readCaptureFile } from '../../drivers/pcap/read';

export const FIXTURE_DIR = join(__dirname, '..', '..', 'pcap-fixtures');

let cached: Uint8Array[] | null = null;

/** Every fixture frame (copies, so mutations never touch a shared file buffer). */
export function fixtureCorpus(): readonly Uint8Array[] {
  if (cached !== null) return cached;
  const frames: Uint8Array[] = [];
  for (const name of readdirSync(FIXTURE_DIR).filter((n) => n.endsWith('.pcap')).sort()) {
    const file = readCaptureFile(join(FIXTURE_DIR, name));
    if (file.linkType !== 'ethernet') continue;
    for (const r of file.records) frames.push(Uint8Array.from(r.data));
  }
  if (frames.length === 0) throw new Error(`no frames in ${FIXTURE_DIR}`);
  cached = frames;
  return frames;
}

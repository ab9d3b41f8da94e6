import test from 'ava';
import { execFileSync } from 'child_process';
import { existsSync, readdirSync } from 'fs';
import { join } from 'path';
import { readCaptureFile } from '../../../drivers/pcap/read';
import { decodeFrame } from '../../../src/decode/frame';
import { formatFrameLine } from '../../../src/decode/format';

const FIXTURES = join(__dirname, '../../../pcap-fixtures');
const files = existsSync(FIXTURES) ? readdirSync(FIXTURES).filter((f) => f.endsWith('.pcap')) : [];

test('every frame of every fixture decodes without a drop, and whole datagrams verify', (t) => {
  if (files.length === 0) return t.pass('no pcap-fixtures/ in this checkout');
  for (const file of files) {
    const cap = readCaptureFile(join(FIXTURES, file));
    cap.records.forEach((rec, i) => {
      const d = decodeFrame(rec.data, cap.linkType);
      const where = `${file} frame ${i + 1}: ${formatFrameLine(d)}`;
      t.is(d.drop, undefined, where);
      if (d.network !== undefined && d.network.protocol === 'ipv4') t.is(d.network.checksumStatus, 'ok', where);
      if (d.transport !== undefined) t.true(['ok', 'unverified'].includes(d.transport.checksumStatus), where);
    });
  }
});

/** tcpdump's TCP text after the addresses, with raw sequence numbers (-S). */
function tcpdumpTcpParts(path: string): string[] {
  const out = execFileSync('tcpdump', ['-n', '-v', '-S', '-r', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').flatMap((l) => {
    const m = /Flags .*/.exec(l);
    return m === null ? [] : [m[0]];
  });
}

function hasTcpdump(): boolean {
  try {
    execFileSync('tcpdump', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('TCP lines match tcpdump -n -v -S on the TCP fixtures', (t) => {
  const tcpFiles = files.filter((f) => f.startsWith('tcp'));
  if (tcpFiles.length === 0) return t.pass('no TCP fixtures in this checkout');
  if (!hasTcpdump()) return t.pass('SKIPPED: tcpdump is not installed (make debs installs it)');
  for (const file of tcpFiles) {
    const path = join(FIXTURES, file);
    const cap = readCaptureFile(path);
    const ours = cap.records.map((rec) => /Flags .*/.exec(formatFrameLine(decodeFrame(rec.data, cap.linkType)))?.[0] ?? '');
    t.deepEqual(ours, tcpdumpTcpParts(path), file);
  }
});

test('MLDv2 reports in ndp.pcap decode as such, with their records (RFC 3810 §5.2)', (t) => {
  const file = readCaptureFile(join(__dirname, '..', '..', '..', 'pcap-fixtures', 'ndp.pcap'));
  const reports = file.records
    .map((r) => decodeFrame(r.data, file.linkType))
    .filter((d) => d.transport?.protocol === 'icmpv6' && d.transport.type === 143);
  t.true(reports.length > 0, 'the capture holds MLDv2 reports');
  for (const d of reports) {
    t.is(d.transport?.protocol === 'icmpv6' ? d.transport.name : '', 'multicast listener report v2');
    t.regex(formatFrameLine(d), /MLDv2 report, \d+ record\(s\) \[to_(ex|in) ff02::1:ff/);
  }
});

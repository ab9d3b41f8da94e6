/**
 * Every capture in pcap-fixtures/ is replayed with usernet in the place of each endpoint its
 * expectation file names: the replay passes, or fails with exactly the known findings written
 * there, and no expectation is stale. `USERNET_FIXTURES=DIR` replays a fresh set instead.
 */
import test from 'ava';
import { existsSync, readdirSync } from 'fs';
import { join } from 'path';
import { readCaptureFile } from '../../drivers/pcap/read';
import { counts } from '../../src/replay/difference';
import { expectationPathFor, formatReport, parseEndpointSpec, readExpectations, replayCapture } from '../../src/replay/index';

const dir = process.env['USERNET_FIXTURES'] ?? join(__dirname, '../../pcap-fixtures');
const captures = readdirSync(dir).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort();

test('there are fixtures, and each has an expectation file naming at least one endpoint', (t) => {
  t.true(captures.length >= 14, `found ${captures.length} captures in ${dir}`);
  for (const f of captures) {
    const path = expectationPathFor(join(dir, f));
    t.true(existsSync(path), `${f} has no ${path}`);
    if (existsSync(path)) t.true(readExpectations(path).length > 0, `${path} names no endpoint`);
  }
});

for (const f of captures) {
  const path = expectationPathFor(join(dir, f));
  if (!existsSync(path)) continue;
  for (const entry of readExpectations(path)) {
    const kind = entry.findings.length > 0 ? 'fails with its known findings only' : 'passes';
    test(`replay ${f} as ${entry.as} ${kind}`, (t) => {
      const spec = parseEndpointSpec(entry.as);
      if (typeof spec === 'string') return void t.fail(spec);
      const report = replayCapture(readCaptureFile(join(dir, f)), spec, { name: f, allow: entry.allow, findings: entry.findings });
      const text = formatReport(report, true);
      const failing = report.differences.filter(counts);
      if (report.pass !== (entry.findings.length === 0) || failing.some((d) => d.finding === undefined)) t.log(text);
      t.true(report.fed > 0 && report.expected > 0 && report.seen > 0, 'frames were fed, expected and seen');
      t.deepEqual(report.unusedAllowances, [], 'every expectation matches a difference (remove the ones that no longer do)');
      t.deepEqual(failing.filter((d) => d.finding === undefined).map((d) => d.text), [], 'no difference beyond the known findings');
      t.is(report.pass, entry.findings.length === 0);
      t.true(text.endsWith(report.pass ? 'PASS\n' : 'FAIL\n'));
    });
  }
}

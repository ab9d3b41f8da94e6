import test from 'ava';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { hotSpots, summarizeProfileDir } from '../../src/bench/profile-summary';

const frame = (functionName: string, lineNumber = 0) => ({ functionName, url: 'file:///x/a.js', lineNumber, scriptId: '1', columnNumber: 0 });

const profile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), hitCount: 0, children: [2, 3] },
    { id: 2, callFrame: frame('emitTcp', 9), hitCount: 0, children: [4] },
    { id: 3, callFrame: frame('sumBytes', 19), hitCount: 0 },
    { id: 4, callFrame: frame('sumBytes', 19), hitCount: 0 },
  ],
  startTime: 0,
  endTime: 1000,
  // Samples 3,4,4,2 with deltas: each sample's time is the delta to the next one.
  samples: [3, 4, 4, 2],
  timeDeltas: [0, 100, 300, 200],
};

test('hot spots add self time per function across its nodes, highest first', (t) => {
  const spots = hotSpots(profile);
  t.is(spots[0]!.name, 'sumBytes');
  t.is(spots[0]!.location, '/x/a.js:20');
  // 100 + 300 from the first two samples, 200 from the third (its next delta).
  t.is(Math.round(spots[0]!.selfMs * 1000), 600);
  t.is(spots[1]!.name, 'emitTcp');
  t.is(Math.round(spots[0]!.selfPercent), Math.round((600 / (600 + 250)) * 100));
});

test('summarizeProfileDir reads every .cpuprofile and says when there are none', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `usernet-bench-prof-${process.pid}-`));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  t.regex(summarizeProfileDir(dir, 5), /no profiles/);
  fs.writeFileSync(path.join(dir, 'r1-usernet.cpuprofile'), JSON.stringify(profile));
  fs.writeFileSync(path.join(dir, 'broken.cpuprofile'), '{');
  const text = summarizeProfileDir(dir, 5);
  t.regex(text, /r1-usernet\.cpuprofile .* top 5 by self time:\n\s+\d+\.\d%\s+\d+ ms\s+sumBytes/);
  t.regex(text, /broken\.cpuprofile: unreadable/);
});

/**
 * usernet's own TCP behaviour, kept as scripts in packetdrill's syntax (`test/scripts/*.pkt`):
 * one test per script. A script that shows an engine bug is listed in KNOWN_BUGS with the bug
 * named, and runs as `test.failing` until the engine is fixed.
 */
import test from 'ava';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatResult, runScriptFile } from '../../src/script/report';

const DIR = join(__dirname, '..', 'scripts');

/** script file → the engine bug it shows (none known at present). */
const KNOWN_BUGS: Readonly<Record<string, string>> = {};

const files = readdirSync(DIR).filter((f) => f.endsWith('.pkt')).sort();

test('the suite covers the behaviours the project asked for', (t) => {
  for (const name of ['passive-open-close', 'active-open', 'connect-refused', 'simultaneous-open', 'simultaneous-close',
    'half-close-fin-wait-2', 'half-close-close-wait', 'time-wait', 'rst-syn-received', 'rst-established', 'close-unread-data',
    'nagle-on', 'nagle-off', 'delayed-ack', 'out-of-order', 'zero-window-persist', 'rto-backoff-etimedout', 'fast-retransmit',
    'keepalive', 'mss-negotiation', 'window-scaling', 'timestamps']) {
    t.true(files.includes(`${name}.pkt`), `${name}.pkt is missing`);
  }
});

for (const file of files) {
  const bug = KNOWN_BUGS[file];
  const run = bug === undefined ? test : test.failing;
  run(`${file}${bug === undefined ? '' : ` (known bug: ${bug})`}`, (t) => {
    const path = join(DIR, file);
    const r = runScriptFile(path);
    t.is(r.status, 'pass', formatResult(`test/scripts/${file}`, r, true));
  });
}

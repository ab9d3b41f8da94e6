import test from 'ava';
import { intOption, one, parseArgs, type OptionSpec } from '../../src/cli/args';
import { main } from '../../src/cli/main';

const SPECS: OptionSpec[] = [
  { name: 'publish', short: 'p', kind: 'value', repeat: true },
  { name: 'mtu', kind: 'value' },
  { name: 'stats', kind: 'optional-number' },
  { name: 'existing', kind: 'flag' },
];

test('options, repeats, optional numbers, positional and the command after --', (t) => {
  const p = parseArgs(['ns1', '-p', '80:80', '--publish=8080:80', '-p9090:90', '--stats', '--mtu', '9000', '--existing', '--', 'curl', '-s', '--stats'], SPECS);
  if (typeof p === 'string') return t.fail(p);
  t.deepEqual(p.positional, ['ns1']);
  t.deepEqual(p.options.get('publish'), ['80:80', '8080:80', '9090:90']);
  t.is(one(p, 'stats'), '');
  t.is(intOption(p, 'mtu', 68, 65535, 1500), 9000);
  t.deepEqual(p.command, ['curl', '-s', '--stats']);
  const q = parseArgs(['--stats', '5', 'name'], SPECS);
  if (typeof q === 'string') return t.fail(q);
  t.is(one(q, 'stats'), '5');
  t.deepEqual(q.positional, ['name']);
});

test('errors are one line', (t) => {
  t.is(parseArgs(['--nope'], SPECS), 'unknown option --nope');
  t.is(parseArgs(['--mtu'], SPECS), '--mtu needs a value');
  t.is(parseArgs(['--existing=1'], SPECS), '--existing takes no value');
  const p = parseArgs(['--mtu', 'big'], SPECS);
  if (typeof p === 'string') return t.fail(p);
  t.is(intOption(p, 'mtu', 68, 65535, 1500), "--mtu 'big' is not a number");
});

async function run(args: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const status = await main(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { status, out, err };
}

test('usernet netns/serve reject bad arguments with one line and status 2', async (t) => {
  const bad = await run(['netns', '-p', '1:2:3:4']);
  t.is(bad.status, 2);
  t.regex(bad.err, /^usernet netns: -p '1:2:3:4': expected/);
  t.is((await run(['netns', '--existing'])).err, 'usernet netns: --existing needs a NAME\n');
  t.regex((await run(['netns', 'a', 'b'])).err, /one NAME only/);
  t.regex((await run(['serve'])).err, /--tap NAME is required/);
  t.regex((await run(['serve', '--tap', 'x', '--service', 'gopher'])).err, /unknown service/);
  t.is((await run(['demo', '--bogus'])).status, 2);
  t.regex((await run(['netns', '--help'])).out, /^usage: usernet netns/);
});

test('usernet demo --memory tells the whole story between two in-process stacks', async (t) => {
  const r = await run(['demo', '--memory']);
  t.is(r.status, 0, r.out + r.err);
  t.regex(r.err, /memory link/);
  t.regex(r.out, /ping 10\.0\.2\.2 .* — ok/);
  t.regex(r.out, /hello, usernet/);
  t.regex(r.out, /hello from the host, you are 127\.0\.0\.1/);
  t.regex(r.out, /10\.0\.2\.100\.\d+ > 10\.0\.2\.3\.7: Flags \[S\]/);
  t.notRegex(r.out, /FAILED/);
});

import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { runDecode } from '../../../src/cli/decode';
import { main } from '../../../src/cli/main';
import { writePcap } from '../../../drivers/pcap/write';
import { arpRequest, tcp4Frame } from '../decode/frames';

interface Run {
  status: number;
  out: string;
  err: string;
}

async function run(args: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const status = await main(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { status, out, err };
}

const dir = mkdtempSync(join(tmpdir(), `usernet-decode-${process.pid}-`));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

function capture(name: string): string {
  const path = join(dir, name);
  const t0 = 1_700_000_000_000_000_000n;
  const frames = [arpRequest(), tcp4Frame(), tcp4Frame().subarray(0, 40)];
  writeFileSync(path, writePcap(frames.map((data, i) => ({ data, timeMs: 0, timestampNs: t0 + BigInt(i) * 1_500_000n })), 'ethernet'));
  return path;
}

test('text: one line per frame with UTC times, a drop for the truncated frame', async (t) => {
  const r = await run(['decode', capture('a.pcap'), '--utc']);
  t.is(r.status, 0);
  t.is(r.err, '');
  const lines = r.out.trimEnd().split('\n');
  t.is(lines.length, 3);
  t.is(lines[0], '22:13:20.000000 ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28');
  t.true(lines[1]!.startsWith('22:13:20.001500 IP (tos 0x0, ttl 64, id 7, offset 0, flags [DF], proto TCP (6), length 60) 10.0.0.1.49500 > 10.0.0.2.80: Flags [S]'));
  t.is(lines[2], '22:13:20.003000 IPv4 [drop: ipv4-truncated]');
});

test('-e prints the Ethernet header', async (t) => {
  const r = await run(['decode', '-e', '--utc', capture('e.pcap')]);
  t.true(r.out.startsWith('22:13:20.000000 02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: ARP, Request'));
});

test('--json: one object per line', async (t) => {
  const r = await run(['decode', capture('j.pcap'), '--json']);
  t.is(r.status, 0);
  const objs = r.out.trimEnd().split('\n').map((l) => JSON.parse(l));
  t.is(objs.length, 3);
  t.like(objs[0], { frame: 1, time: 1700000000, network: { protocol: 'arp', op: 1 } });
  t.like(objs[1], { frame: 2, time: 1700000000.0015, transport: { protocol: 'tcp', flags: 'S', checksumStatus: 'ok', options: { mss: 1460, windowScale: 7 } } });
  t.like(objs[2], { frame: 3, length: 40, drop: 'ipv4-truncated', ethernet: { etherType: 0x0800 } });
});

test('errors: missing file, not a capture, bad usage, unknown command', async (t) => {
  const missing = await run(['decode', join(dir, 'nope.pcap')]);
  t.is(missing.status, 1);
  t.regex(missing.err, /nope\.pcap: .*ENOENT/);
  const junk = join(dir, 'junk.pcap');
  writeFileSync(junk, 'this is not a capture file at all');
  const bad = await run(['decode', junk]);
  t.is(bad.status, 1);
  t.regex(bad.err, /^usernet decode: .*junk\.pcap: /);
  t.is((await run(['decode'])).status, 2);
  t.is((await run(['decode', 'a', 'b'])).status, 2);
  t.is((await run(['decode', '--bogus', 'a'])).status, 2);
  const unknown = await run(['frobnicate']);
  t.is(unknown.status, 2);
  t.regex(unknown.err, /unknown command 'frobnicate'/);
  t.is((await run([])).status, 2);
});

test('--help lists the commands and the decode options', async (t) => {
  const top = await run(['--help']);
  t.is(top.status, 0);
  t.regex(top.out, /^usage: usernet COMMAND/);
  t.regex(top.out, /decode +print the frames/);
  let out = '';
  t.is(runDecode(['--help'], { out: (s) => (out += s), err: () => undefined }), 0);
  t.regex(out, /--json/);
});

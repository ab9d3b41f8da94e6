/**
 * `usernet replay` as a user runs it: exit 0 with PASS, 1 with FAIL (or an unreadable file),
 * 2 for bad usage; the report's header line and a difference line; a capture the user made
 * (here: two usernet stacks on a simulated link, written with the pcap writer) replays too.
 */
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { main } from '../../src/cli/main';
import { writePcap } from '../../drivers/pcap/write';
import { Stack as CoreStack } from '../../stack/stack';
import { isTcpError } from '../../stack/tcp/events';
import { IpAddress } from '../../stack/wire/address';

const fixtures = join(__dirname, '../../pcap-fixtures');

async function run(args: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const status = await main(args, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { status, out, err };
}

test('a fixture that passes: exit 0, header line, PASS', async (t) => {
  const r = await run(['replay', join(fixtures, 'tcp4-halfclose.pcap'), '--as', '10.99.0.2:5002']);
  t.is(r.status, 0, r.err);
  t.regex(r.out, /^replay tcp4-halfclose\.pcap as 10\.99\.0\.2:5002 \(02:99:00:00:00:02\): frames fed \d+, expected \d+, seen \d+\n/);
  t.regex(r.out, /PASS\n$/);
});

test('without its expectations an allowed difference fails the replay: exit 1, one readable line, FAIL', async (t) => {
  // ndp.pcap's expectations allow the duplicate address detection the original endpoint did while
  // its address was (re)configured; usernet's address is configured before a replay, DAD off.
  const r = await run(['replay', join(fixtures, 'ndp.pcap'), '--as', 'fd99::1', '--no-expect']);
  t.is(r.status, 1);
  t.regex(r.out, /frame 1: expected neighbour solicitation :: > ff02::1:ff00:1, target fe80::99:ff:fe00:1 at [\d.]+ ms, usernet sent none\n/);
  t.regex(r.out, /FAIL\n$/);
});

test('a zero ack tolerance makes usernet\'s delayed ACKs differences', async (t) => {
  const r = await run(['replay', join(fixtures, 'tcp4-handshake-bulk.pcap'), '--as', '10.99.0.2:5001', '--ack-tolerance', '0', '--no-expect']);
  t.is(r.status, 1);
  t.regex(r.out, /the endpoint had acknowledged \d+ at [\d.]+ ms; usernet did at [\d.]+ ms/);
});

test('bad usage: exit 2 with the usage; an unreadable capture or an absent endpoint: exit 1', async (t) => {
  t.is((await run(['replay'])).status, 2);
  t.is((await run(['replay', join(fixtures, 'arp.pcap')])).status, 2);
  t.is((await run(['replay', join(fixtures, 'arp.pcap'), '--as', 'nowhere'])).status, 2);
  t.is((await run(['replay', join(fixtures, 'arp.pcap'), '--as', '10.99.0.2', '--speed', '0'])).status, 2);
  const missing = await run(['replay', join(fixtures, 'no-such.pcap'), '--as', '10.99.0.2']);
  t.is(missing.status, 1);
  t.regex(missing.err, /no-such\.pcap/);
  const absent = await run(['replay', join(fixtures, 'arp.pcap'), '--as', '10.99.0.77']);
  t.is(absent.status, 1);
  t.regex(absent.err, /10\.99\.0\.77 sends nothing in this capture/);
  const help = await run(['replay', '--help']);
  t.is(help.status, 0);
  t.regex(help.out, /--as ADDRESS\[:PORT\]/);
});

/**
 * A capture made elsewhere: two usernet core stacks talk TCP (a request, a response, both
 * FINs) over a simulated wire with 1 ms hops, every frame recorded with its time.
 */
function userCapture(): Uint8Array {
  const a = new CoreStack({ seed: 7 });
  const b = new CoreStack({ seed: 8 });
  const link = { mtu: 1500, linkType: 'ethernet' as const };
  const ia = a.addInterface(link, { ipv4: '10.5.0.1/24', mac: '02:55:00:00:00:01', dad: false });
  const ib = b.addInterface(link, { ipv4: '10.5.0.2/24', mac: '02:55:00:00:00:02', dad: false });
  const records: Array<{ data: Uint8Array; timeMs: number }> = [];
  const l = b.tcp.listen(IpAddress.parse('10.5.0.2')!, 7000);
  if (isTcpError(l)) throw new Error(l.error);
  a.drain();
  b.drain();
  let now = 1000;
  const c = a.tcp.connect({ remote: IpAddress.parse('10.5.0.2')!, remotePort: 7000, localPort: 41000 }, now);
  if (isTcpError(c)) throw new Error(c.error);
  c.readStart();
  let requested = false;
  for (let step = 0; step < 400; step++) {
    now += 1;
    a.poll(now);
    b.poll(now);
    const fromA = a.drain().flatMap((d) => d.frames);
    const fromB = b.drain().flatMap((d) => d.frames);
    for (const f of fromA) records.push({ data: f, timeMs: now });
    for (const f of fromB) records.push({ data: f, timeMs: now });
    if (fromA.length > 0) b.input(ib, fromA, now + 0.5);
    if (fromB.length > 0) a.input(ia, fromB, now + 0.5);
    for (const e of a.tcp.takeEvents()) {
      if (e.kind === 'established' && !requested) {
        requested = true;
        c.send(new TextEncoder().encode('GET /\n'));
      }
      if (e.kind === 'peer-fin') c.shutdown();
    }
    for (const e of b.tcp.takeEvents()) {
      if (e.kind === 'accept') e.conn.readStart();
      if (e.kind === 'data') {
        e.conn.send(new TextEncoder().encode('hello from usernet\n'));
        e.conn.shutdown();
      }
    }
  }
  return writePcap(records, 'ethernet');
}

test('a capture given by a user (usernet talking to usernet) replays with PASS from both ends', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), `usernet-replay-${process.pid}-`));
  try {
    const file = join(dir, 'user.pcap');
    writeFileSync(file, userCapture());
    for (const as of ['10.5.0.2:7000', '10.5.0.1']) {
      const r = await run(['replay', file, '--as', as, '--verbose']);
      t.is(r.status, 0, r.out + r.err);
      t.notRegex(r.out, /within tolerance|allowed:/, 'usernet against itself differs in nothing at all');
      t.regex(r.out, /frames fed [1-9]\d*, expected [1-9]\d*, seen [1-9]\d*/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The TAP driver on its own: opening and its errors, device configuration, persistence,
 * closing, and whether an open driver keeps the process alive. Needs root and /dev/net/tun;
 * skips with a `skipped:` line otherwise. Namespace tests are in test/interop/tap.test.ts.
 */

import test from 'ava';
import * as path from 'path';
import { TapDriver } from '../../drivers/tap';
import { BackgroundProcess, hasCommand, linkExists, linkGone, run, skipUnlessTap, uniqueLinkName } from '../helpers/netns';

const ROOT = path.resolve(__dirname, '../..');
const created = new Set<string>();

function openTracked(options: Parameters<typeof TapDriver.open>[0] = {}): TapDriver {
  const d = TapDriver.open({ name: uniqueLinkName('unt'), ...options });
  created.add(d.name);
  return d;
}

function macText(m: Uint8Array): string {
  return Array.from(m, (b) => b.toString(16).padStart(2, '0')).join(':');
}

test.serial('open creates the named device with the MTU and MAC asked for; close removes it', async (t) => {
  if (skipUnlessTap(t)) return;
  const name = uniqueLinkName('unt');
  created.add(name);
  const d = TapDriver.open({ name, mtu: 1280, mac: '02:00:5e:10:20:30' });
  t.teardown(() => d.close());
  t.is(d.name, name);
  t.is(d.mtu, 1280);
  t.is(d.linkType, 'ethernet');
  t.is(macText(d.kernelMac), '02:00:5e:10:20:30');
  t.true(linkExists(name));
  const shown = await run(['ip', '-o', 'link', 'show', 'dev', name]);
  t.regex(shown.stdout, /mtu 1280/);
  t.regex(shown.stdout, /link\/ether 02:00:5e:10:20:30/);
  t.notRegex(shown.stdout, /[<,]UP[,>]/, 'not brought up unless asked');
  await d.close();
  t.true(await linkGone(name), 'a non-persistent device disappears with its descriptor');
  t.is(d.name, name, 'the name stays readable after close');
  t.throws(() => d.kernelMac, { message: /closed/ });
});

test.serial('without a name the kernel chooses one, and up: true brings it up', async (t) => {
  if (skipUnlessTap(t)) return;
  const d = TapDriver.open({ up: true });
  created.add(d.name);
  t.teardown(() => d.close());
  t.regex(d.name, /^tap\d+$/);
  t.is(d.mtu, 1500);
  const shown = await run(['ip', '-o', 'link', 'show', 'dev', d.name]);
  t.regex(shown.stdout, /[<,]UP[,>]/);
});

test.serial('persist: true keeps the device after close; reopening with persist: false releases it', async (t) => {
  if (skipUnlessTap(t)) return;
  const name = uniqueLinkName('unt');
  created.add(name);
  t.teardown(() => run(['ip', 'link', 'del', name]).then(() => undefined));
  const first = TapDriver.open({ name, persist: true });
  await first.close();
  t.true(linkExists(name), 'persistent device outlives its descriptor');
  const second = TapDriver.open({ name, persist: false });
  t.is(second.name, name, 'attaches to the existing device');
  await second.close();
  t.true(await linkGone(name));
});

test.serial('bad options are refused with clear errors, and nothing is left open', async (t) => {
  if (skipUnlessTap(t)) return;
  t.throws(() => TapDriver.open({ name: 'x'.repeat(16) }), { code: 'EINVAL', message: /invalid name/ });
  t.throws(() => TapDriver.open({ mac: '02:00:00:00:00' }), { instanceOf: TypeError, message: /invalid MAC/ });
  t.throws(() => TapDriver.open({ mtu: 0 }), { instanceOf: RangeError });
  const name = uniqueLinkName('unt');
  created.add(name);
  const mtuErr = t.throws(() => TapDriver.open({ name, mtu: 70000 }), { code: 'EINVAL' });
  t.is((mtuErr as NodeJS.ErrnoException).syscall, 'ioctl(SIOCSIFMTU)');
  t.true(await linkGone(name), 'the descriptor was closed after the failed configuration');
  t.throws(() => TapDriver.open({ name, batchSize: 0 }), { instanceOf: RangeError, message: /batchSize/ });
  t.true(await linkGone(name));
});

test.serial('a missing /dev/net/tun gives ENOENT naming the device file', (t) => {
  if (skipUnlessTap(t)) return;
  const err = t.throws(() => TapDriver.open({ devicePath: '/nonexistent/net/tun' }), { code: 'ENOENT' });
  t.regex(err!.message, /cannot open \/nonexistent\/net\/tun: no such file/);
  t.is((err as NodeJS.ErrnoException).syscall, 'open');
});

test.serial('without CAP_NET_ADMIN opening fails with EPERM, without crashing', async (t) => {
  if (skipUnlessTap(t, ['setpriv'])) return;
  const name = uniqueLinkName('unt');
  created.add(name);
  const code = `
    const { TapDriver } = require(${JSON.stringify(path.join(ROOT, 'drivers/tap'))});
    try { TapDriver.open({ name: ${JSON.stringify(name)} }); console.log('opened'); }
    catch (e) { console.log(JSON.stringify({ code: e.code, syscall: e.syscall, message: e.message })); }`;
  const r = await run(['setpriv', '--bounding-set=-net_admin', process.execPath, '-r', 'ts-node/register/transpile-only', '-e', code], {
    timeoutMs: 20_000,
  });
  t.is(r.code, 0, r.stderr);
  const err = JSON.parse(r.stdout) as { code: string; syscall: string; message: string };
  t.is(err.code, 'EPERM');
  t.is(err.syscall, 'ioctl(TUNSETIFF)');
  t.regex(err.message, /CAP_NET_ADMIN/);
  t.true(await linkGone(name));
});

test.serial('sending after close counts drops and does not throw', async (t) => {
  if (skipUnlessTap(t)) return;
  const d = openTracked();
  await d.close();
  t.notThrows(() => d.send([new Uint8Array(60), new Uint8Array(60)]));
  t.is(d.txDropped, 2);
  t.throws(() => d.start(() => undefined), { message: /closed/ });
});

test.serial('frames sent while the kernel side is down are counted as refused, not sent', async (t) => {
  if (skipUnlessTap(t)) return;
  const d = openTracked();
  t.teardown(() => d.close());
  d.start(() => undefined);
  const frame = new Uint8Array(60).fill(0xff, 0, 6);
  d.send([frame, frame, frame]);
  // A TAP whose kernel side is down refuses writes with EIO.
  t.is(d.txErrors, 3);
  t.is(d.txFrames, 0);
  t.is(d.txQueued, 0);
});

/** Starts a child node that opens and starts a driver, ref'd or unref'd; resolves once started. */
async function childWithDriver(name: string, mode: 'ref' | 'unref'): Promise<BackgroundProcess> {
  const code = `
    const { TapDriver } = require(${JSON.stringify(path.join(ROOT, 'drivers/tap'))});
    const d = TapDriver.open({ name: ${JSON.stringify(name)} });
    d.start(() => {});
    ${mode === 'unref' ? 'd.unref();' : ''}
    console.log('started');`;
  const p = new BackgroundProcess([process.execPath, '-r', 'ts-node/register/transpile-only', '-e', code]);
  await p.waitForOutput(/started/, 20_000);
  return p;
}

test.serial('a started, referenced driver keeps its process alive; an unref’d one lets it exit', async (t) => {
  if (skipUnlessTap(t)) return;
  const refName = uniqueLinkName('unt');
  const unrefName = uniqueLinkName('unt');
  created.add(refName).add(unrefName);
  const referenced = await childWithDriver(refName, 'ref');
  t.teardown(() => referenced.stop('SIGKILL').then(() => undefined));
  const unreferenced = await childWithDriver(unrefName, 'unref');
  t.teardown(() => unreferenced.stop('SIGKILL').then(() => undefined));

  const exit = await Promise.race([unreferenced.wait(), delay(5000).then(() => 'timeout' as const)]);
  t.not(exit, 'timeout', 'the process with only an unref’d driver exits');
  if (exit !== 'timeout') t.is(exit.code, 0);
  t.true(await linkGone(unrefName), 'exiting released the descriptor');

  await delay(1000);
  t.false(referenced.exited, 'the process with a referenced driver is still running');
  t.true(linkExists(refName));
  const stopped = await referenced.stop('SIGTERM');
  t.is(stopped.signal, 'SIGTERM');
  t.true(await linkGone(refName));
});

test.serial('a worker thread that ends with a started driver still open closes it without crashing', async (t) => {
  if (skipUnlessTap(t)) return;
  const name = uniqueLinkName('unt');
  created.add(name);
  // The addon is unloaded with the worker; the poll handle must be closed before that.
  const workerCode = `
    const { TapDriver } = require(${JSON.stringify(path.join(ROOT, 'drivers/tap'))});
    const d = TapDriver.open({ name: ${JSON.stringify(name)}, up: true });
    d.start(() => {});
    d.unref();`;
  const code = `
    const { Worker } = require('worker_threads');
    const w = new Worker(${JSON.stringify(workerCode)}, { eval: true, execArgv: ['-r', 'ts-node/register/transpile-only'] });
    w.on('exit', (c) => setTimeout(() => console.log('worker exit ' + c), 100));`;
  const r = await run([process.execPath, '-r', 'ts-node/register/transpile-only', '-e', code], { timeoutMs: 30_000 });
  t.is(r.signal, null, r.stderr);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /worker exit 0/);
  t.true(await linkGone(name));
});

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

test.after.always('no TAP device created by these tests is left', (t) => {
  if (!hasCommand('ip')) return t.pass();
  const left = [...created].filter((name) => linkExists(name));
  t.deepEqual(left, []);
});

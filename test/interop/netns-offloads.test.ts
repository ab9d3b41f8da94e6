/**
 * `usernet netns` (the library, `ServedNamespace`) with the TAP offloads on and off, at MTU 1500
 * and 65520: bulk TCP from inside the namespace to a host server and back (checked by hash), and
 * iperf3 both ways. With offloads on, the kernel's uploads arrive coalesced and our downloads go
 * out as segments the kernel cuts. Needs root, /dev/net/tun, python3 and iperf3; skips otherwise.
 */

import test, { type ExecutionContext } from 'ava';
import { createHash, randomBytes } from 'crypto';
import * as net from 'net';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readPcapFile } from '../../drivers/pcap/read';
import { ServedNamespace } from '../../src/netns/serve';
import { BackgroundProcess } from '../../src/netns';
import { freeLoopbackPort, skipUnlessTap } from '../helpers/netns';

const DATA = randomBytes(8 << 20);
const DATA_SHA = createHash('sha256').update(DATA).digest('hex');

/** A host server on 127.0.0.1: `up` hashes what it reads; anything else gets DATA back. */
async function hostServer(t: ExecutionContext): Promise<{ port: number; uploads: Array<{ n: number; sha: string }> }> {
  const uploads: Array<{ n: number; sha: string }> = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.once('data', (first: Buffer) => {
      if (first.subarray(0, 3).toString() === 'up ') {
        const h = createHash('sha256').update(first.subarray(3));
        let n = first.length - 3;
        s.on('data', (d: Buffer) => {
          h.update(d);
          n += d.length;
        });
        s.on('end', () => {
          uploads.push({ n, sha: h.digest('hex') });
          s.end('ok\n');
        });
      } else {
        s.end(DATA);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { port: (server.address() as net.AddressInfo).port, uploads };
}


function python(lines: string[]): string[] {
  return ['python3', '-c', lines.join('\n')];
}

for (const mtu of [1500, 65520]) {
  for (const offloads of [true, false]) {
    test.serial(`usernet netns, MTU ${mtu}, offloads ${offloads ? 'on' : 'off'}: bulk TCP both ways arrives intact, iperf3 both ways`, async (t) => {
      if (skipUnlessTap(t, ['python3', 'iperf3'])) return;
      const host = await hostServer(t);
      const served = await ServedNamespace.start({ mtu, offloads, dns: false, seed: process.pid });
      t.teardown(() => served.close());
      const tap = served.tap;
      t.deepEqual(tap.agreedOffloads, offloads ? { txTcpChecksum: true, txTcpSegmentation: 65535, rxChecksumAndCoalescing: true } : {});

      const gw = served.addresses.gateway4;
      const up = await served.netns.exec(python([
        'import socket, sys',
        `s = socket.create_connection(('${gw}', ${host.port}))`,
        "s.sendall(b'up ' + sys.stdin.buffer.read())",
        's.shutdown(socket.SHUT_WR)',
        "print(s.recv(100).decode(), end='')",
      ]), { input: DATA, timeoutMs: 60_000 });
      t.is(up.code, 0, up.stderr);
      t.is(up.stdout, 'ok\n');
      t.deepEqual(host.uploads, [{ n: DATA.length, sha: DATA_SHA }], 'upload intact');

      const down = await served.netns.exec(python([
        'import socket, hashlib',
        `s = socket.create_connection(('${gw}', ${host.port}))`,
        "s.sendall(b'down')",
        'h = hashlib.sha256(); n = 0',
        'while True:',
        '    d = s.recv(1 << 20)',
        '    if not d: break',
        '    h.update(d); n += len(d)',
        "print(n, h.hexdigest(), end='')",
      ]), { timeoutMs: 60_000 });
      t.is(down.code, 0, down.stderr);
      t.is(down.stdout, `${DATA.length} ${DATA_SHA}`, 'download intact');

      if (offloads) {
        t.true(tap.rxVouchedFrames > 0, 'the kernel vouched for checksums');
        // At 65520 a second MSS does not fit the 64 KiB the kernel hands over: nothing to coalesce or cut.
        if (mtu === 1500) {
          t.true(tap.rxCoalescedFrames > 0, 'the kernel handed over unsegmented TCP');
          t.true(tap.txSegmentedFrames > 0, 'segments above the MTU went out for the kernel to cut');
        }
      } else {
        t.is(tap.rxCoalescedFrames, 0);
        t.is(tap.rxVouchedFrames, 0);
        t.is(tap.txSegmentedFrames, 0);
      }
      t.is(tap.rxOversize, 0);

      const iperfPort = await freeLoopbackPort();
      const iperfServer = ['iperf3', '-s', '-1', '--forceflush', '-B', '127.0.0.1', '-p', String(iperfPort)];
      const iperf = new BackgroundProcess(iperfServer);
      t.teardown(() => iperf.stop('SIGKILL').then(() => undefined));
      await iperf.waitForOutput(/listening/i, 10_000);
      const iperfUp = await served.netns.exec(['iperf3', '-c', gw, '-p', String(iperfPort), '-t', '1', '-J'], { timeoutMs: 30_000 });
      t.is(iperfUp.code, 0, iperfUp.stderr);
      t.true(bytesReceived(iperfUp.stdout) > 0, 'iperf3 upload moved data');
      await iperf.wait();
      const iperfR = new BackgroundProcess(iperfServer);
      t.teardown(() => iperfR.stop('SIGKILL').then(() => undefined));
      await iperfR.waitForOutput(/listening/i, 10_000);
      const iperfDown = await served.netns.exec(['iperf3', '-c', gw, '-p', String(iperfPort), '-t', '1', '-R', '-J'], { timeoutMs: 30_000 });
      t.is(iperfDown.code, 0, iperfDown.stderr);
      t.true(bytesReceived(iperfDown.stdout) > 0, 'iperf3 download moved data');
      t.log(`MTU ${mtu} offloads ${offloads}: iperf3 up ${mib(iperfUp.stdout)} MiB/s, down ${mib(iperfDown.stdout)} MiB/s`);
    });
  }
}

test.serial('usernet netns --pcap with offloads: the capture holds the unsegmented TCP as it crossed the TAP', async (t) => {
  if (skipUnlessTap(t, ['python3'])) return;
  const host = await hostServer(t);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `usernet-offloads-pcap-${process.pid}-`));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'tap.pcap');
  const served = await ServedNamespace.start({ mtu: 1500, pcap: file, dns: false, seed: process.pid });
  let closed = false;
  t.teardown(() => (closed ? undefined : served.close()));
  t.deepEqual(served.tap.agreedOffloads, { txTcpChecksum: true, txTcpSegmentation: 65535, rxChecksumAndCoalescing: true });
  const up = await served.netns.exec(python([
    'import socket, sys',
    `s = socket.create_connection(('${served.addresses.gateway4}', ${host.port}))`,
    "s.sendall(b'up ' + sys.stdin.buffer.read(2 << 20))",
    's.shutdown(socket.SHUT_WR)',
    "print(s.recv(100).decode(), end='')",
  ]), { input: DATA, timeoutMs: 60_000 });
  t.is(up.stdout, 'ok\n', up.stderr);
  t.deepEqual(host.uploads, [{ n: 2 << 20, sha: createHash('sha256').update(DATA.subarray(0, 2 << 20)).digest('hex') }]);
  await served.close();
  closed = true;
  const lengths = readPcapFile(file).records.map((r) => r.data.length);
  t.true(lengths.some((n) => n > 1514), `frames above the MTU in the capture (largest ${Math.max(...lengths)})`);
});

function summary(json: string): { bytes: number; seconds: number } {
  const r = JSON.parse(json) as { end?: { sum_received?: { bytes?: number; seconds?: number } } };
  return { bytes: r.end?.sum_received?.bytes ?? 0, seconds: r.end?.sum_received?.seconds ?? 1 };
}

function bytesReceived(json: string): number {
  return summary(json).bytes;
}

function mib(json: string): string {
  const s = summary(json);
  return (s.bytes / s.seconds / (1 << 20)).toFixed(0);
}

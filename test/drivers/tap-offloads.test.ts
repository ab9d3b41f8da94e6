/**
 * The TAP driver's offloads (virtio-net header; stack/link.ts `LinkOffloads`) against the Linux
 * kernel in a namespace: with receive offload agreed, the kernel's TCP arrives in segments larger
 * than the MTU with checksums it vouches for; a TCP segment larger than the MTU written by hand
 * with a partial checksum reaches a kernel socket as the right bytes; with nothing agreed, or a
 * device opened with `offloads: false`, frames are plain both ways. Needs root and /dev/net/tun.
 */

import test, { type ExecutionContext } from 'ava';
import { createHash, randomBytes } from 'crypto';
import { Stack } from '../../src/stack';
import type { TapDriver } from '../../drivers/tap';
import type { LinkDriver, LinkOffloads } from '../../stack/link';
import { IpAddress } from '../../stack/wire/address';
import { emitIpv4 } from '../../stack/wire/ipv4';
import { TcpFlag, emitTcp, parseTcp, type TcpRepr } from '../../stack/wire/tcp';
import { fold, pseudoHeaderSumV4, pseudoHeaderSumV6 } from '../../stack/wire/checksum';
import { EtherType, IpProtocol } from '../../stack/wire/ip-protocol';
import { parseEthernet } from '../../stack/wire/ethernet';
import { parseIpv4 } from '../../stack/wire/ipv4';
import { parseIpv6 } from '../../stack/wire/ipv6';
import { isDrop } from '../../stack/wire/drop';
import { TAP_TEST_PLAN as P, skipUnlessTap, tapInNamespace, type TapInNamespace } from '../helpers/netns';
import { ethernetFrame, mac } from '../interop/tap-frames';

const MTU = 1500;
const ETH = 14;

/** What a link delivered: each frame's length and whether its checksum was vouched for. */
interface Seen {
  length: number;
  vouched: boolean;
}

/** Passes everything through (offloads included) and notes what the driver delivers. */
class Recorder implements LinkDriver {
  readonly seen: Seen[] = [];
  vouchedArrays = 0;
  constructor(private readonly link: TapDriver) {}
  get mtu(): number { return this.link.mtu; }
  get linkType(): LinkDriver['linkType'] { return this.link.linkType; }
  get offloads(): LinkOffloads | undefined { return this.link.offloads; }
  useOffloads(agreed: LinkOffloads): void { this.link.useOffloads(agreed); }
  start(receive: (frames: Uint8Array[], checksumVouched?: Uint8Array) => void): void {
    this.link.start((frames, vouched) => {
      if (vouched !== undefined) this.vouchedArrays++;
      frames.forEach((f, i) => this.seen.push({ length: f.length, vouched: vouched !== undefined && vouched[i] !== 0 }));
      receive(frames, vouched);
    });
  }
  send(frames: Uint8Array[]): void { this.link.send(frames); }
  close(): Promise<void> { return this.link.close(); }
}

const PLAN = {
  ipv4: `${P.kernel4}/24`,
  ipv6: `${P.kernel6}/64`,
  mac: P.kernelMac,
  mtu: MTU,
  nodad: true,
} as const;

/**
 * A python3 client in the namespace sends `bytes` to usernet at `host`:8080, where a usernet
 * server hashes what it reads; resolves with usernet's count and hash.
 */
async function uploadToUsernet(t: ExecutionContext, env: TapInNamespace, link: LinkDriver, interfaceOffloads: boolean, data: Buffer, host: string) {
  const stack = new Stack({ seed: process.pid });
  t.teardown(() => stack.close());
  stack.addInterface(link, { ipv4: `${P.usernet4}/24`, ipv6: `${P.usernet6}/64`, mac: P.usernetMac, mtu: MTU, offloads: interfaceOffloads, dad: false });
  const got = new Promise<{ n: number; sha: string }>((resolve) => {
    const server = stack.net.createServer((s) => {
      const h = createHash('sha256');
      let n = 0;
      s.on('data', (d: Buffer) => {
        h.update(d);
        n += d.length;
      });
      s.on('end', () => {
        s.end();
        resolve({ n, sha: h.digest('hex') });
      });
    });
    server.listen(8080);
    t.teardown(() => server.close());
  });
  const family = host.includes(':') ? 'AF_INET6' : 'AF_INET';
  const code = [
    'import socket, sys',
    `s = socket.socket(socket.${family}, socket.SOCK_STREAM)`,
    `s.connect(('${host}', 8080))`,
    'd = sys.stdin.buffer.read()',
    's.sendall(d)',
    's.shutdown(socket.SHUT_WR)',
    'while s.recv(4096): pass',
  ].join('\n');
  const r = await env.ns.exec(['python3', '-c', code], { input: data, timeoutMs: 30_000 });
  t.is(r.code, 0, r.stderr);
  const result = await got;
  const counters = stack.counters();
  return { ...result, tcpDrops: counters.drops.tcp ?? {} };
}

for (const family of [4, 6] as const) {
  test.serial(`receive offload agreed: the kernel’s TCP over IPv${family} arrives in frames above the MTU with vouched checksums`, async (t) => {
    if (skipUnlessTap(t, ['python3'])) return;
    const env = await tapInNamespace(t, PLAN);
    t.deepEqual(env.driver.offloads, { txTcpChecksum: true, txTcpSegmentation: 65535, rxChecksumAndCoalescing: true });
    const link = new Recorder(env.driver);
    const data = randomBytes(4 << 20);
    const r = await uploadToUsernet(t, env, link, true, data, family === 4 ? P.usernet4 : P.usernet6);
    t.is(r.n, data.length);
    t.is(r.sha, createHash('sha256').update(data).digest('hex'));
    t.deepEqual(r.tcpDrops, {}, 'no segment dropped (a vouched partial checksum is not verified)');
    const big = link.seen.filter((s) => s.length > MTU + ETH);
    t.true(big.length > 0, 'frames above the MTU arrived');
    t.true(big.every((s) => s.vouched), 'every coalesced frame is vouched for');
    t.true(Math.max(...big.map((s) => s.length)) > 16 * MTU, 'the kernel hands over tens of kilobytes at once');
    t.deepEqual(env.driver.agreedOffloads, { txTcpChecksum: true, txTcpSegmentation: 65535, rxChecksumAndCoalescing: true });
    t.is(env.driver.rxCoalescedFrames, big.length);
    t.true(env.driver.rxVouchedFrames >= big.length);
    t.is(env.driver.rxOversize, 0);
  });
}

test.serial('nothing agreed (the interface says offloads: false): plain frames, no vouching', async (t) => {
  if (skipUnlessTap(t, ['python3'])) return;
  const env = await tapInNamespace(t, PLAN);
  const link = new Recorder(env.driver);
  const data = randomBytes(1 << 20);
  const r = await uploadToUsernet(t, env, link, false, data, P.usernet4);
  t.is(r.n, data.length);
  t.is(r.sha, createHash('sha256').update(data).digest('hex'));
  t.deepEqual(env.driver.agreedOffloads, {});
  t.true(link.seen.length > 0);
  t.true(link.seen.every((s) => s.length <= MTU + ETH && !s.vouched), 'every frame fits the MTU');
  t.is(link.vouchedArrays, 0, 'no checksumVouched array is passed');
  t.is(env.driver.rxCoalescedFrames, 0);
  t.is(env.driver.rxVouchedFrames, 0);
});

test.serial('a device opened with offloads: false offers nothing and refuses to be given any', async (t) => {
  if (skipUnlessTap(t, ['python3'])) return;
  const env = await tapInNamespace(t, PLAN, { offloads: false });
  t.is(env.driver.offloads, undefined);
  t.throws(() => env.driver.useOffloads({ rxChecksumAndCoalescing: true }), { message: /not offered/ });
  const link = new Recorder(env.driver);
  const data = randomBytes(1 << 20);
  const r = await uploadToUsernet(t, env, link, true, data, P.usernet4);
  t.is(r.n, data.length);
  t.true(link.seen.every((s) => s.length <= MTU + ETH && !s.vouched));
  t.is(link.vouchedArrays, 0);
});

test.serial('useOffloads checks what it is given and is refused after start', async (t) => {
  if (skipUnlessTap(t)) return;
  const env = await tapInNamespace(t, PLAN);
  t.throws(() => env.driver.useOffloads({ txTcpSegmentation: 65535 }), { instanceOf: RangeError, message: /needs txTcpChecksum/ });
  t.throws(() => env.driver.useOffloads({ txTcpChecksum: true, txTcpSegmentation: 70000 }), { instanceOf: RangeError });
  env.driver.start(() => undefined);
  t.throws(() => env.driver.useOffloads({}), { message: /before start/ });
});

// --- A TCP connection to a kernel socket written by hand, with one segment far above the MTU ---

interface Flow {
  family: 4 | 6;
  us: IpAddress;
  peer: IpAddress;
  usPort: number;
  peerPort: number;
}

/** An Ethernet frame with `seg` in an IP packet, its TCP checksum left partial (pseudo-header sum). */
function tcpFrame(f: Flow, seg: TcpRepr): Uint8Array {
  const tcpLen = 20 + (seg.options.mss !== undefined ? 4 : 0) + seg.payload.length;
  const tcp = new Uint8Array(tcpLen);
  const pseudo = f.family === 4
    ? pseudoHeaderSumV4(f.us.v4, f.peer.v4, IpProtocol.TCP, tcpLen)
    : pseudoHeaderSumV6(f.us.bytes, f.peer.bytes, IpProtocol.TCP, tcpLen);
  emitTcp(seg, tcp, pseudo);
  // LinkOffloads.txTcpChecksum: the field holds the folded pseudo-header sum, not complemented.
  const partial = fold(pseudo);
  tcp[16] = partial >> 8;
  tcp[17] = partial & 0xff;
  let ip: Uint8Array;
  if (f.family === 4) {
    ip = new Uint8Array(20 + tcpLen);
    emitIpv4({
      dscp: 0, ecn: 0, identification: 1, dontFragment: true, moreFragments: false, fragmentOffset: 0,
      ttl: 64, protocol: IpProtocol.TCP, src: f.us.v4, dst: f.peer.v4, options: new Uint8Array(0), payload: tcp,
    }, ip);
  } else {
    ip = new Uint8Array(40 + tcpLen);
    ip[0] = 0x60;
    ip[4] = tcpLen >> 8;
    ip[5] = tcpLen & 0xff;
    ip[6] = IpProtocol.TCP;
    ip[7] = 64;
    ip.set(f.us.bytes, 8);
    ip.set(f.peer.bytes, 24);
    ip.set(tcp, 40);
  }
  return ethernetFrame(mac(P.kernelMac), mac(P.usernetMac), f.family === 4 ? EtherType.IPv4 : EtherType.IPv6, ip);
}

/** The TCP segment in `frame` if it belongs to `f` (kernel to us). */
function segmentOf(f: Flow, frame: Uint8Array): TcpRepr | null {
  const eth = parseEthernet(frame);
  if (isDrop(eth)) return null;
  let payload: Uint8Array;
  if (f.family === 4 && eth.etherType === EtherType.IPv4) {
    const ip = parseIpv4(eth.payload);
    if (isDrop(ip) || ip.protocol !== IpProtocol.TCP) return null;
    payload = ip.payload;
  } else if (f.family === 6 && eth.etherType === EtherType.IPv6) {
    const ip = parseIpv6(eth.payload);
    if (isDrop(ip) || ip.upperLayerProtocol !== IpProtocol.TCP) return null;
    payload = ip.upperLayerPayload;
  } else {
    return null;
  }
  const seg = parseTcp(payload);
  return isDrop(seg) || seg.dstPort !== f.usPort || seg.srcPort !== f.peerPort ? null : seg;
}

for (const family of [4, 6] as const) {
  test.serial(`a hand-written IPv${family} TCP segment of 60000 bytes with a partial checksum reaches a kernel socket intact`, async (t) => {
    if (skipUnlessTap(t, ['python3'])) return;
    const env = await tapInNamespace(t, PLAN);
    const usText = family === 4 ? P.usernet4 : P.usernet6;
    const f: Flow = { family, us: IpAddress.parse(usText)!, peer: IpAddress.parse(family === 4 ? P.kernel4 : P.kernel6)!, usPort: 40000 + family, peerPort: 9000 };
    // The kernel reaches us without asking: a permanent neighbour entry for usernet's address.
    await env.ns.ip(...(family === 6 ? ['-6'] : []), 'neigh', 'replace', usText, 'lladdr', P.usernetMac, 'dev', env.dev, 'nud', 'permanent');
    const server = env.ns.spawn(['python3', '-c', [
      'import socket, hashlib',
      `s = socket.socket(socket.AF_INET${family === 6 ? '6' : ''}, socket.SOCK_STREAM)`,
      `s.bind(('${family === 4 ? P.kernel4 : P.kernel6}', ${f.peerPort}))`,
      's.listen(1)',
      "print('listening', flush=True)",
      'c, _ = s.accept()',
      'h = hashlib.sha256(); n = 0',
      'while True:',
      '    d = c.recv(65536)',
      '    if not d: break',
      '    h.update(d); n += len(d)',
      "print(n, h.hexdigest(), flush=True)",
    ].join('\n')]);
    t.teardown(() => server.stop('SIGKILL').then(() => undefined));
    await server.waitForOutput(/listening/, 10_000);

    env.driver.useOffloads({ txTcpChecksum: true, txTcpSegmentation: 65535 });
    const received: Uint8Array[] = [];
    let wake: (() => void) | null = null;
    env.driver.start((frames) => {
      for (const fr of frames) received.push(fr.slice());
      wake?.();
    });
    const next = async (match: (s: TcpRepr) => boolean, what: string): Promise<TcpRepr> => {
      const deadline = Date.now() + 5000;
      for (let seen = 0; ;) {
        for (; seen < received.length; seen++) {
          const s = segmentOf(f, received[seen]!);
          if (s !== null && match(s)) return s;
        }
        if (Date.now() > deadline) throw new Error(`no ${what} from the kernel`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
    };
    const base = { srcPort: f.usPort, dstPort: f.peerPort, urgent: 0, window: 65535 };
    const iss = 1000;
    env.driver.send([tcpFrame(f, { ...base, seq: iss, ack: 0, flags: TcpFlag.SYN, options: { mss: MTU - 40 }, payload: new Uint8Array(0) })]);
    const synAck = await next((s) => (s.flags & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK), 'SYN-ACK');
    t.is(synAck.ack, iss + 1, 'the kernel accepted our SYN (its partial checksum was completed)');
    const rcvNxt = (synAck.seq + 1) >>> 0;
    const data = randomBytes(60_000);
    const ack = { ...base, ack: rcvNxt, options: {} };
    env.driver.send([
      tcpFrame(f, { ...ack, seq: iss + 1, flags: TcpFlag.ACK, payload: new Uint8Array(0) }),
      tcpFrame(f, { ...ack, seq: iss + 1, flags: TcpFlag.ACK | TcpFlag.PSH, payload: data }),
      tcpFrame(f, { ...ack, seq: iss + 1 + data.length, flags: TcpFlag.ACK | TcpFlag.FIN, payload: new Uint8Array(0) }),
    ]);
    t.is(env.driver.txSegmentedFrames, 1, 'only the segment above the MTU asked to be cut');
    t.is(env.driver.txErrors, 0);
    await next((s) => (s.flags & TcpFlag.ACK) !== 0 && s.ack === ((iss + 2 + data.length) >>> 0), 'ACK of the data and FIN');
    await server.waitForOutput(/^\d+ [0-9a-f]{64}$/m, 5000);
    t.is(server.stdout.trim().split('\n').pop(), `${data.length} ${createHash('sha256').update(data).digest('hex')}`);
  });
}

/**
 * Set-up shared by the TCP interop tests (test/interop/tcp*.test.ts): a TAP device in a fresh
 * namespace with usernet on the other end (optionally through `impair` and a receive gate), the
 * engine adapter, tcpdump inside the namespace with its capture read back as TCP segments, and a
 * timing line for the test log. Everything is torn down through `t.teardown`, pass or fail.
 */

import type { ExecutionContext } from 'ava';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from '../../src/stack';
import type { LinkDriver } from '../../stack/link';
import { impair, type ImpairConfig, type ImpairedLink } from '../../drivers/impair';
import { readPcapFile } from '../../drivers/pcap/read';
import { parseEthernet } from '../../stack/wire/ethernet';
import { parseIpv4 } from '../../stack/wire/ipv4';
import { parseIpv6 } from '../../stack/wire/ipv6';
import { TcpFlag, parseTcp } from '../../stack/wire/tcp';
import { EtherType, IpProtocol } from '../../stack/wire/ip-protocol';
import { formatIpv4, formatIpv6 } from '../../stack/wire/address';
import { isDrop } from '../../stack/wire/drop';
import { TAP_TEST_PLAN as P, tapInNamespace, type Netns } from '../helpers/netns';
import { EngineSockets } from './tcp-adapter';

export { TAP_TEST_PLAN } from '../helpers/netns';

let counter = 0;

/** A unique temporary path (pid and counter in the name), removed when the test ends. */
export function tempPath(t: ExecutionContext, what: string): string {
  const p = path.join(os.tmpdir(), `usernet-tcp-${what}-${process.pid}-${counter++}`);
  t.teardown(() => fs.rmSync(p, { force: true, recursive: true }));
  return p;
}

/**
 * A link wrapper that drops every received frame while `blocked` (usernet goes deaf, the kernel
 * still sees what usernet sends): how the keepalive test makes usernet's probes go unanswered.
 */
export class ReceiveGate implements LinkDriver {
  blocked = false;
  dropped = 0;
  private blockAfterNext = false;
  constructor(private readonly link: LinkDriver) {}
  /** Lets the next received batch through, then blocks. */
  blockAfterNextReceive(): void {
    this.blockAfterNext = true;
  }
  get mtu(): number {
    return this.link.mtu;
  }
  get linkType(): LinkDriver['linkType'] {
    return this.link.linkType;
  }
  start(receive: (frames: Uint8Array[]) => void): void {
    this.link.start((frames) => {
      if (this.blocked) {
        this.dropped += frames.length;
        return;
      }
      if (this.blockAfterNext) this.blocked = true;
      receive(frames);
    });
  }
  send(frames: Uint8Array[]): void {
    this.link.send(frames);
  }
  close(): Promise<void> {
    return this.link.close();
  }
}

export interface TcpInterop {
  ns: Netns;
  /** The TAP interface (same name inside the namespace). */
  dev: string;
  stack: Stack;
  sockets: EngineSockets;
  gate: ReceiveGate;
  impaired: ImpairedLink | undefined;
}

export interface TcpInteropOptions {
  /** `impair` between the TAP driver and the stack. */
  impair?: ImpairConfig;
}

/**
 * TAP in a namespace (kernel at `TAP_TEST_PLAN.kernel4/6`), usernet at `usernet4/6`, the engine
 * adapter attached, DAD over. Torn down when the test ends.
 */
export async function setupTcp(t: ExecutionContext, o: TcpInteropOptions = {}): Promise<TcpInterop> {
  const env = await tapInNamespace(t);
  const stack = new Stack({ seed: process.pid + counter++ });
  t.teardown(() => stack.close());
  const impaired = o.impair === undefined ? undefined : impair(env.driver, o.impair);
  const gate = new ReceiveGate(impaired ?? env.driver);
  stack.addInterface(gate, { ipv4: `${P.usernet4}/24`, ipv6: `${P.usernet6}/64`, mac: P.usernetMac });
  const sockets = new EngineSockets(stack);
  // DAD for usernet's IPv6 address: one RetransTimer plus slack.
  await sleep(1300);
  return { ns: env.ns, dev: env.dev, stack, sockets, gate, impaired };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A TCP segment seen by tcpdump inside the namespace. */
export interface SeenSegment {
  /** Capture time, ms since the epoch (the kernel's clock). */
  timeMs: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  /** The window field as sent (unscaled). */
  window: number;
  /** Payload bytes. */
  len: number;
}

/** Reads the TCP segments of an Ethernet pcap (checksums not verified: the kernel offloads them). */
export function tcpSegmentsOf(file: string): SeenSegment[] {
  const out: SeenSegment[] = [];
  for (const rec of readPcapFile(file).records) {
    const e = parseEthernet(rec.data);
    if (isDrop(e)) continue;
    let src: string;
    let dst: string;
    let payload: Uint8Array;
    if (e.etherType === EtherType.IPv4) {
      const ip = parseIpv4(e.payload, { verifyChecksum: false });
      if (isDrop(ip) || ip.protocol !== IpProtocol.TCP) continue;
      [src, dst, payload] = [formatIpv4(ip.src), formatIpv4(ip.dst), ip.payload];
    } else if (e.etherType === EtherType.IPv6) {
      const ip = parseIpv6(e.payload);
      if (isDrop(ip) || ip.upperLayerProtocol !== IpProtocol.TCP) continue;
      [src, dst, payload] = [formatIpv6(ip.src), formatIpv6(ip.dst), ip.upperLayerPayload];
    } else {
      continue;
    }
    const seg = parseTcp(payload);
    if (isDrop(seg)) continue;
    out.push({ timeMs: rec.timeMs, src, dst, srcPort: seg.srcPort, dstPort: seg.dstPort, seq: seg.seq, ack: seg.ack, flags: seg.flags, window: seg.window, len: seg.payload.length });
  }
  return out;
}

const seqDiff = (a: number, b: number): number => (a - b) | 0;

/**
 * The probes `src` sent in `segs` (keepalive, zero-window): an ACK without data whose SEG.SEQ is one below the
 * highest sequence number `src` has sent (SND.NXT − 1), so the receiver must answer with an ACK.
 */
export function probesFrom(segs: SeenSegment[], src: string): SeenSegment[] {
  let sndNxt: number | undefined;
  const probes: SeenSegment[] = [];
  for (const s of segs) {
    if (s.src !== src) continue;
    const end = (s.seq + s.len + (s.flags & TcpFlag.SYN ? 1 : 0) + (s.flags & TcpFlag.FIN ? 1 : 0)) >>> 0;
    if (s.flags === TcpFlag.ACK && s.len === 0 && sndNxt !== undefined && seqDiff(s.seq, sndNxt) === -1) probes.push(s);
    if (sndNxt === undefined || seqDiff(end, sndNxt) > 0) sndNxt = end;
  }
  return probes;
}

/** The ACK from the other side that answers `probe` (ACK = probe's SEQ + 1), if one follows soon. */
export function answerTo(segs: SeenSegment[], probe: SeenSegment): SeenSegment | undefined {
  return segs.find(
    (s) => s.src === probe.dst && s.timeMs >= probe.timeMs && s.timeMs - probe.timeMs < 100 && (s.flags & TcpFlag.ACK) !== 0 && s.ack === ((probe.seq + 1) >>> 0),
  );
}

/** tcpdump on `dev` inside the namespace, writing a pcap; `stop()` returns the TCP segments. */
export async function startTcpdump(t: ExecutionContext, ns: Netns, dev: string): Promise<{ stop(): Promise<SeenSegment[]> }> {
  const file = tempPath(t, 'dump.pcap');
  // --immediate-mode: hand each packet over at once (otherwise libpcap's ring delivers blocks on
  // a timeout, and packets of the last block are lost at SIGINT); -U: write each packet at once;
  // -Z root: keep the right to write the file; TCP only.
  const p = ns.spawn(['tcpdump', '-i', dev, '-n', '--immediate-mode', '-U', '-Z', 'root', '-w', file, 'tcp']);
  await p.waitForOutput(/listening on/, 5000);
  return {
    async stop() {
      await sleep(100); // let the last packets reach the file
      await p.stop('SIGINT', 2000);
      return tcpSegmentsOf(file);
    },
  };
}

/** Logs and returns a timing line: `what: N MiB in S s (R MiB/s)`. */
export function logRate(t: ExecutionContext, what: string, bytes: number, ms: number): string {
  const mib = bytes / (1024 * 1024);
  const line = `${what}: ${mib.toFixed(1)} MiB in ${(ms / 1000).toFixed(2)} s (${(mib / (ms / 1000)).toFixed(1)} MiB/s)`;
  t.log(line);
  return line;
}

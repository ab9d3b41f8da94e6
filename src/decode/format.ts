/**
 * Text and JSON forms of a `DecodedFrame`. The text line follows `tcpdump -n -v -S` (raw
 * sequence numbers) folded onto one line: `IP (tos 0x0, ttl 64, …) 10.0.0.1.40001 >
 * 10.0.0.2.5001: Flags [S], cksum 0xd933 (correct), seq …, options […], length 0`.
 */

import { ArpOp } from '../../stack/wire/arp';
import { TcpFlag } from '../../stack/wire/tcp';
import { etherTypeName, hex16, ipProtocolName } from '../../stack/wire/ip-protocol';
import type {
  ChecksumStatus,
  DecodedArp,
  DecodedEthernet,
  DecodedFrame,
  DecodedIpv4,
  DecodedIpv6,
  DecodedTransport,
} from './types';

export interface LineOptions {
  /** Printed first, e.g. from `formatTimeOfDay`. */
  time?: string;
  /** Print the Ethernet header too, like `tcpdump -e`. */
  link?: boolean;
}

/** One line for one frame. Never throws for any `DecodedFrame` that `decodeFrame` returns. */
export function formatFrameLine(d: DecodedFrame, opts: LineOptions = {}): string {
  let s = opts.time === undefined ? '' : `${opts.time} `;
  if (opts.link === true && d.ethernet !== undefined) s += `${ethernetText(d.ethernet, d.length)}: `;
  const net = d.network;
  if (net === undefined) {
    if (d.ethernet !== undefined) s += etherTypeName(d.ethernet.etherType);
    else s += `length ${d.length}`;
  } else if (net.protocol === 'arp') {
    s += arpText(net);
  } else {
    s += net.protocol === 'ipv4' ? ipv4Text(net) : ipv6Text(net);
    const t = d.transport;
    const ports = t?.protocol === 'tcp' || t?.protocol === 'udp' ? t : undefined;
    s += ` ${net.src}${ports ? `.${ports.srcPort}` : ''} > ${net.dst}${ports ? `.${ports.dstPort}` : ''}:`;
    if (net.protocol === 'ipv6' && net.extensions.length > 0) s += ` ${ipv6ExtensionsText(net)}`;
    if (t !== undefined) s += ` ${transportText(t)}`;
  }
  if (d.note !== undefined) s += ` [${d.note}]`;
  if (d.drop !== undefined) s += ` [drop: ${d.drop}]`;
  return s;
}

/** tcpdump -e: `02:… > 02:…, 802.1Q vlan 5 p 0, ethertype IPv4 (0x0800), length 74`. */
function ethernetText(e: DecodedEthernet, length: number): string {
  let s = `${e.src} > ${e.dst}`;
  for (const t of e.vlan ?? []) s += `, ${t.tpid === 0x88a8 ? '802.1ad' : '802.1Q'} vlan ${t.vid} p ${t.pcp}${t.dei ? ' DEI' : ''}`;
  return `${s}, ethertype ${etherTypeName(e.etherType)} (${hex16(e.etherType)}), length ${length}`;
}

function arpText(a: DecodedArp): string {
  if (a.op === ArpOp.Request) return `ARP, Request who-has ${a.targetIp} tell ${a.senderIp}, length 28`;
  return `ARP, Reply ${a.senderIp} is-at ${a.senderMac}, length 28`;
}

function ipv4Text(ip: DecodedIpv4): string {
  const flags = ip.dontFragment && ip.moreFragments ? 'DF+' : ip.dontFragment ? 'DF' : ip.moreFragments ? '+' : 'none';
  const tos = ((ip.dscp << 2) | ip.ecn).toString(16);
  const bad = ip.checksumStatus === 'bad' ? `, bad cksum ${ip.checksum.toString(16)}!` : '';
  const opts = ip.optionsLength > 0 ? `, options (${ip.optionsLength} bytes)` : '';
  return (
    `IP (tos 0x${tos}, ttl ${ip.ttl}, id ${ip.identification}, offset ${ip.fragmentOffset}, flags [${flags}], ` +
    `proto ${ipProtocolName(ip.nextProtocol)} (${ip.nextProtocol}), length ${ip.totalLength}${bad}${opts})`
  );
}

function ipv6Text(ip: DecodedIpv6): string {
  const cls = ip.trafficClass !== 0 ? `class 0x${ip.trafficClass.toString(16)}, ` : '';
  const flow = ip.flowLabel !== 0 ? `flowlabel 0x${ip.flowLabel.toString(16).padStart(5, '0')}, ` : '';
  return (
    `IP6 (${cls}${flow}hlim ${ip.hopLimit}, next-header ${ipProtocolName(ip.nextHeader)} (${ip.nextHeader}) ` +
    `payload length: ${ip.payloadLength})`
  );
}

/** `HBH DSTOPT frag (0x5aec0699:0|1448)`: tcpdump's words for the extension headers. */
function ipv6ExtensionsText(ip: DecodedIpv6): string {
  return ip.extensions
    .map((e) => {
      switch (e.type) {
        case 44: {
          const dataLen = 40 + ip.payloadLength - (e.offset + e.length);
          return `frag (0x${(e.identification ?? 0).toString(16).padStart(8, '0')}:${e.fragmentOffset}|${dataLen})`;
        }
        case 43:
          return `srcrt (type ${e.routingType}, segleft ${e.segmentsLeft})`;
        default:
          return ipProtocolName(e.type);
      }
    })
    .join(' ');
}

const CHECKSUM_WORDS: Readonly<Record<ChecksumStatus, string>> = {
  ok: 'correct',
  bad: 'incorrect',
  none: 'none',
  unverified: 'unverified',
};

function cksum(value: number, status: ChecksumStatus): string {
  return `cksum 0x${value.toString(16).padStart(4, '0')} (${CHECKSUM_WORDS[status]})`;
}

function transportText(t: DecodedTransport): string {
  switch (t.protocol) {
    case 'tcp': {
      // tcpdump shows seq when the segment occupies sequence space or carries RST; ack with ACK.
      const showSeq = t.payloadLength > 0 || (t.flagBits & (TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST)) !== 0;
      const seq = !showSeq
        ? ''
        : t.payloadLength > 0
          ? `, seq ${t.seq}:${(t.seq + t.payloadLength) >>> 0}`
          : `, seq ${t.seq}`;
      const ack = t.flagBits & TcpFlag.ACK ? `, ack ${t.ack}` : '';
      const urg = t.flagBits & TcpFlag.URG ? `, urg ${t.urgent}` : '';
      const opts = t.optionsText === '' ? '' : `, options [${t.optionsText}]`;
      return `Flags [${t.flags}], ${cksum(t.checksum, t.checksumStatus)}${seq}${ack}, win ${t.window}${urg}${opts}, length ${t.payloadLength}`;
    }
    case 'udp':
      return `UDP, ${cksum(t.checksum, t.checksumStatus)}, length ${t.payloadLength}`;
    default:
      return `${t.text}, ${cksum(t.checksum, t.checksumStatus)}`;
  }
}

/**
 * tcpdump's default time stamp: the local time of day, `HH:MM:SS.uuuuuu` (microseconds,
 * truncated). `utc` prints UTC instead (stable output for tests and logs).
 */
export function formatTimeOfDay(timestampNs: bigint, utc = false): string {
  const seconds = timestampNs / 1_000_000_000n;
  const micros = (timestampNs % 1_000_000_000n) / 1000n;
  const date = new Date(Number(seconds) * 1000);
  const h = utc ? date.getUTCHours() : date.getHours();
  const m = utc ? date.getUTCMinutes() : date.getMinutes();
  const sec = utc ? date.getUTCSeconds() : date.getSeconds();
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(h)}:${two(m)}:${two(sec)}.${String(micros).padStart(6, '0')}`;
}

/** Where a frame sits in its capture, for the JSON form. */
export interface FrameMeta {
  /** 1-based, as tcpdump -# and tshark number frames. */
  frame: number;
  timestampNs: bigint;
  /** The length on the wire; more than `length` when the capture was snapped. */
  originalLength: number;
}

/**
 * The JSON object for one frame: `frame`, `time` (seconds since the epoch with microseconds,
 * like tshark's frame.time_epoch), `originalLength`, then every decoded field.
 */
export function frameToJson(d: DecodedFrame, meta: FrameMeta): Record<string, unknown> {
  const seconds = meta.timestampNs / 1_000_000_000n;
  const micros = (meta.timestampNs % 1_000_000_000n) / 1000n;
  return {
    frame: meta.frame,
    time: Number(`${seconds}.${String(micros).padStart(6, '0')}`),
    originalLength: meta.originalLength,
    ...d,
  };
}

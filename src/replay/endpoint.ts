/**
 * Which endpoint of a capture usernet plays: `--as ADDRESS[:PORT]` parsed, and the endpoint's
 * identity found in the capture — its MAC (the Ethernet source of the frames it sent with that
 * address), every address it used, and the peers it talked to. Frames "sent by the endpoint"
 * are those with its MAC as source (on raw-IP captures: with one of its addresses as source);
 * every other frame is the peer's side of the link and is fed to usernet.
 */

import { IpAddress, bytesEqual, formatMac, type MacAddress } from '../../stack/wire/address';
import type { Packet } from './packet';

export interface EndpointSpec {
  address: IpAddress;
  /** Only this TCP/UDP port's conversations are replayed and compared; all when absent. */
  port?: number;
}

export interface Endpoint {
  spec: EndpointSpec;
  /** null on raw-IP captures. */
  mac: MacAddress | null;
  /** Every non-link-local unicast address the endpoint used, IPv4 and IPv6. */
  addresses: IpAddress[];
  /** IPv6 link-local addresses the endpoint used (usernet derives its own from the MAC). */
  linkLocal: IpAddress[];
  /** Addresses of the other side(s), as seen in frames sent to the endpoint. */
  peers: IpAddress[];
}

/**
 * Parses `10.0.0.2`, `10.0.0.2:80`, `fd00::2`, `[fd00::2]:80`; a string error when it is not an
 * address with an optional port 1–65535.
 */
export function parseEndpointSpec(text: string): EndpointSpec | string {
  let host = text;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracket !== null) {
    host = bracket[1]!;
    portText = bracket[2];
  } else if ((text.match(/:/g) ?? []).length === 1) {
    const i = text.indexOf(':');
    host = text.slice(0, i);
    portText = text.slice(i + 1);
  }
  const address = IpAddress.parse(host);
  if (address === null) return `"${text}" is not ADDRESS[:PORT] (an IPv6 address with a port goes in brackets: [fd00::2]:80)`;
  if (portText === undefined) return { address };
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) return `"${portText}" is not a port (1–65535)`;
  return { address, port: Number(portText) };
}

export function formatEndpointSpec(s: EndpointSpec): string {
  const a = s.address.family === 6 && s.port !== undefined ? `[${s.address}]` : `${s.address}`;
  return s.port === undefined ? a : `${a}:${s.port}`;
}

/** The source address a packet claims (IP source, or ARP sender), if any. */
function claimedSource(p: Packet): IpAddress | null {
  if (p.ip !== undefined) return p.ip.src;
  if (p.arp !== undefined) return IpAddress.v4(p.arp.spa);
  return null;
}

function isLinkLocal(a: IpAddress): boolean {
  return a.family === 6 && a.bytes[0] === 0xfe && (a.bytes[1]! & 0xc0) === 0x80;
}

function addUnique(list: IpAddress[], a: IpAddress): void {
  if (!list.some((x) => x.equals(a))) list.push(a);
}

/** Finds the endpoint playing `spec` in `packets`, or says why it cannot. */
export function findEndpoint(packets: readonly Packet[], spec: EndpointSpec, ethernet: boolean): Endpoint | string {
  let mac: MacAddress | null = null;
  if (ethernet) {
    const first = packets.find((p) => p.ethSrc !== null && claimedSource(p)?.equals(spec.address) === true);
    if (first === undefined) return `${spec.address} sends nothing in this capture`;
    mac = first.ethSrc;
  } else if (!packets.some((p) => claimedSource(p)?.equals(spec.address) === true)) {
    return `${spec.address} sends nothing in this capture`;
  }
  const ep: Endpoint = { spec, mac, addresses: [], linkLocal: [], peers: [] };
  for (const p of packets) {
    const src = claimedSource(p);
    if (src === null) continue;
    if (sentBy(ep, p)) {
      if (src.isUnspecified() || src.isMulticast()) continue;
      addUnique(isLinkLocal(src) ? ep.linkLocal : ep.addresses, src);
    }
  }
  for (const p of packets) {
    const src = claimedSource(p);
    if (src === null || sentBy(ep, p) || src.isUnspecified() || src.isMulticast()) continue;
    addUnique(ep.peers, src);
  }
  if (!ep.addresses.some((a) => a.equals(spec.address)) && !ep.linkLocal.some((a) => a.equals(spec.address))) addUnique(ep.addresses, spec.address);
  return ep;
}

/** True when the endpoint sent `p`. */
export function sentBy(ep: Endpoint, p: Packet): boolean {
  if (ep.mac !== null) return p.ethSrc !== null && bytesEqual(p.ethSrc, ep.mac);
  const src = claimedSource(p);
  return src !== null && (ep.addresses.some((a) => a.equals(src)) || ep.linkLocal.some((a) => a.equals(src)));
}

/** True when `a` is one of the endpoint's addresses. */
export function isEndpointAddress(ep: Endpoint, a: IpAddress): boolean {
  return ep.addresses.some((x) => x.equals(a)) || ep.linkLocal.some((x) => x.equals(a));
}

/**
 * The prefix length usernet gets for `a`: long enough to keep every peer of the family on-link
 * (the common prefix with each), at most /24 for IPv4 and /64 for IPv6 (the capture does not
 * say the real one, and no route is needed beyond the peers it shows).
 */
export function onLinkPrefix(ep: Endpoint, a: IpAddress): number {
  let len = a.family === 4 ? 24 : 64;
  for (const peer of ep.peers) {
    if (peer.family !== a.family || isLinkLocal(peer)) continue;
    len = Math.min(len, commonPrefix(a.bytes, peer.bytes));
  }
  return len;
}

function commonPrefix(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! ^ b[i]!;
    if (x === 0) {
      n += 8;
      continue;
    }
    return n + Math.clz32(x) - 24;
  }
  return n;
}

export function describeEndpoint(ep: Endpoint): string {
  const mac = ep.mac === null ? '' : ` (${formatMac(ep.mac)})`;
  return `${formatEndpointSpec(ep.spec)}${mac}`;
}

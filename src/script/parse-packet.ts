/**
 * A packet line of a packetdrill script: direction, TCP flags, `start:end(len)`, `ack`, `win` and
 * the option list between `<` and `>`. IP markings, other protocols and options the runner does
 * not model become `unsupported` actions.
 */

import { TcpFlag } from '../../stack/wire/tcp';
import type { Action, PacketSpec, ScriptTcpOption } from './ast';
import { ParseError, type TokenCursor } from './token-cursor';

const FLAG_LETTERS: Readonly<Record<string, number>> = {
  F: TcpFlag.FIN,
  S: TcpFlag.SYN,
  R: TcpFlag.RST,
  P: TcpFlag.PSH,
  U: TcpFlag.URG,
  E: TcpFlag.ECE,
  W: TcpFlag.CWR,
  '.': TcpFlag.ACK,
};

/** After the time: the tokens of one packet line, from its direction on (`line` is its line). */
export function parsePacket(c: TokenCursor, line: number): Action {
  const direction = c.next('a direction').text === '<' ? 'inbound' : 'outbound';
  if (c.isPunct('[')) {
    // `[noecn]`, `[ect0]` … (IP ECN field) or an ICMP's quoted header: the runner has no IP layer.
    const inner: string[] = [];
    c.advance();
    while (!c.done && !c.isPunct(']')) inner.push(c.next('an IP marking').text);
    c.expectPunct(']', 'closing the IP marking');
    const rest = c.peek();
    const kind = rest !== undefined && rest.kind === 'word' && (rest.text === 'icmp' || rest.text === 'udp') ? `${rest.text} packet` : `IP marking [${inner.join('')}]`;
    c.skipLine(line);
    return { kind: 'unsupported', what: kind };
  }
  const w = c.peek();
  if (w !== undefined && w.kind === 'word' && ['icmp', 'udp', 'gre', 'mpls', 'udplite'].includes(w.text)) {
    c.skipLine(line);
    return { kind: 'unsupported', what: `${w.text} packet` };
  }
  const flags = tcpFlags(c);
  const start = c.integer('the start sequence number');
  c.expectPunct(':', 'between start and end sequence numbers');
  const end = c.integer('the end sequence number');
  c.expectPunct('(', 'before the length');
  const len = c.integer('the segment length', 65535);
  c.expectPunct(')', 'after the length');
  if (((end - start) >>> 0) !== len) throw new ParseError(line, `inconsistent segment: ${start}:${end} is ${(end - start) >>> 0} bytes, not (${len})`);
  const p: PacketSpec = { direction, flags, start, end, len, ack: undefined, window: undefined, options: undefined };
  for (;;) {
    const k = c.peek();
    if (k === undefined || k.kind !== 'word' || k.line !== line) break;
    if (k.text === 'ack') {
      c.advance();
      p.ack = c.integer('the ack number');
    } else if (k.text === 'win') {
      c.advance();
      p.window = c.integer('the window', 65535);
    } else if (k.text === 'urg') {
      c.skipLine(line);
      return { kind: 'unsupported', what: 'urgent pointer (urg)' };
    } else {
      throw new ParseError(k.line, `unexpected '${k.text}' in a packet (expected ack, win or <options>)`);
    }
  }
  if (c.isPunct('<') && c.peek()!.line === line) {
    c.advance();
    if (c.peek()?.kind === 'ellipsis') {
      c.advance();
      p.options = 'any';
    } else {
      const opts = tcpOptions(c, line);
      if (typeof opts === 'string') {
        c.skipLine(line);
        return { kind: 'unsupported', what: opts };
      }
      p.options = opts;
    }
    c.expectPunct('>', 'closing the option list');
  }
  if (direction === 'inbound' && p.window === undefined) throw new ParseError(line, 'an inbound packet needs a window (win N)');
  return { kind: 'packet', packet: p };
}

function tcpFlags(c: TokenCursor): number {
  const t = c.next('TCP flags');
  if (t.kind === 'punct' && t.text === '-') return 0;
  let text = t.text;
  if (t.kind === 'word') {
    if (c.isPunct('.') && c.peek()!.offset === t.offset + t.text.length) {
      c.advance();
      text += '.';
    }
  } else if (!(t.kind === 'punct' && t.text === '.')) {
    throw new ParseError(t.line, `expected TCP flags (S, S., ., P., F., R …), found '${t.text}'`);
  }
  let flags = 0;
  for (const c of text) {
    const f = FLAG_LETTERS[c];
    if (f === undefined) throw new ParseError(t.line, `unknown TCP flag '${c}' in '${text}'`);
    flags |= f;
  }
  return flags;
}

/** The items between `<` and `>`; a string names an option the runner does not support. */
function tcpOptions(c: TokenCursor, line: number): ScriptTcpOption[] | string {
  const out: ScriptTcpOption[] = [];
  for (;;) {
    const t = c.next('a TCP option');
    switch (t.text) {
      case 'nop':
        out.push({ kind: 'nop' });
        break;
      case 'eol':
        out.push({ kind: 'eol' });
        break;
      case 'mss':
        out.push({ kind: 'mss', value: c.integer('the MSS', 65535) });
        break;
      case 'wscale':
        out.push({ kind: 'wscale', value: c.integer('the window scale', 255) });
        break;
      case 'sackOK':
        out.push({ kind: 'sackOK' });
        break;
      case 'sack': {
        const blocks: Array<readonly [number, number]> = [];
        while (c.peek()?.kind === 'int') {
          const left = c.integer('a SACK left edge');
          c.expectPunct(':', 'in a SACK block');
          blocks.push([left, c.integer('a SACK right edge')] as const);
        }
        if (blocks.length === 0) throw new ParseError(t.line, 'sack needs at least one block A:B');
        out.push({ kind: 'sack', blocks });
        break;
      }
      case 'TS': {
        const v = c.next("'val'");
        if (v.text !== 'val') throw new ParseError(v.line, `expected 'TS val N ecr N', found '${v.text}'`);
        const val = c.integer('the TS value');
        const e = c.next("'ecr'");
        if (e.text !== 'ecr') throw new ParseError(e.line, `expected 'ecr' after TS val, found '${e.text}'`);
        out.push({ kind: 'TS', val, ecr: c.integer('the TS echo reply') });
        break;
      }
      case 'FO':
      case 'FOEXP':
      case 'md5':
      case 'exp':
      case 'mpcapable':
      case 'dss':
      case 'add_address':
      case 'mp_join':
        return `TCP option '${t.text}'`;
      default:
        throw new ParseError(t.line, `unknown TCP option '${t.text}'`);
    }
    if (!c.isPunct(',')) break;
    c.advance();
  }
  if (c.peek()?.line !== line && !c.done) throw new ParseError(line, 'an option list must end on its line');
  return out;
}

/**
 * The parser for packetdrill scripts (grammar: google/packetdrill `Syntax.md`, `parser.y`):
 *
 *   script  := option* event*
 *   event   := time action
 *   time    := ['+'] number ['~' ['+'] number] | '*'
 *   action  := ('<'|'>') ['[' … ']'] flags start:end(len) [ack N] [win N] ['<' options|... '>']
 *            | ['...' number] name '(' args ')' '=' expr [ERRNO ['(' note ')']]
 *            | `shell command` | %{ code }%
 *
 * Valid lines the runner does not execute (shell, code, UDP/ICMP packets, IP ECN markings) become
 * `unsupported` events naming what they are; malformed text is a syntax error with its line.
 */

import { TcpFlag } from '../../stack/wire/tcp';
import type { Action, EventTime, Expr, PacketSpec, Script, ScriptEvent, ScriptSyntaxError, ScriptTcpOption, SyscallSpec } from './ast';
import { type Token, tokenize } from './tokens';

class ParseError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

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

const MAX_U32 = 0xffffffff;

class Parser {
  private i = 0;
  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
  ) {}

  get done(): boolean {
    return this.i >= this.tokens.length;
  }

  /** The line of the next token. */
  get line(): number {
    return this.peek()?.line ?? this.lastLine();
  }

  /** After a syntax error: continue at the first token past `line`. */
  resync(line: number): void {
    while (!this.done && this.peek()!.line <= line) this.i++;
  }

  private peek(k = 0): Token | undefined {
    return this.tokens[this.i + k];
  }

  private lastLine(): number {
    return this.tokens[Math.max(0, Math.min(this.i, this.tokens.length) - 1)]?.line ?? 1;
  }

  private next(what: string): Token {
    const t = this.tokens[this.i];
    if (t === undefined) throw new ParseError(this.lastLine(), `expected ${what}, found end of script`);
    this.i++;
    return t;
  }

  private isPunct(c: string, k = 0): boolean {
    const t = this.peek(k);
    return t !== undefined && t.kind === 'punct' && t.text === c;
  }

  private expectPunct(c: string, what: string): Token {
    const t = this.next(`'${c}' ${what}`);
    if (t.kind !== 'punct' || t.text !== c) throw new ParseError(t.line, `expected '${c}' ${what}, found '${t.text}'`);
    return t;
  }

  private integer(what: string, max = MAX_U32): number {
    const t = this.next(what);
    if (t.kind !== 'int' || t.value === undefined || t.value < 0 || t.value > max) {
      throw new ParseError(t.line, `expected ${what} (an integer 0..${max}), found '${t.text}'`);
    }
    return t.value;
  }

  /** Skips every token on `line` (for a line reported as unsupported). */
  private skipLine(line: number): void {
    while (!this.done && this.peek()!.line === line) this.i++;
  }

  option(): { name: string; value: string; line: number } | undefined {
    const t = this.peek();
    if (t === undefined || t.kind !== 'option') return undefined;
    this.i++;
    const eq = t.text.indexOf('=');
    return eq < 0 ? { name: t.text.slice(2), value: '', line: t.line } : { name: t.text.slice(2, eq), value: t.text.slice(eq + 1), line: t.line };
  }

  private seconds(): number {
    const t = this.next('a time');
    if ((t.kind !== 'int' && t.kind !== 'float') || t.value === undefined) {
      throw new ParseError(t.line, `expected a time in seconds, found '${t.text}'`);
    }
    return Math.round(t.value * 1e6);
  }

  private time(): EventTime {
    if (this.isPunct('*')) {
      this.i++;
      return { kind: 'any' };
    }
    const relative = this.isPunct('+');
    if (relative) this.i++;
    const us = this.seconds();
    if (!this.isPunct('~')) return relative ? { kind: 'relative', us } : { kind: 'absolute', us };
    this.i++;
    const endRelative = this.isPunct('+');
    if (endRelative) this.i++;
    const endUs = this.seconds();
    if (endRelative !== relative) throw new ParseError(this.lastLine(), 'a time range must be both absolute or both relative (+a~+b)');
    if (endUs < us) throw new ParseError(this.lastLine(), 'a time range must not end before it starts');
    return relative ? { kind: 'relative-range', us, endUs } : { kind: 'absolute-range', us, endUs };
  }

  event(): ScriptEvent {
    const first = this.peek()!;
    const line = first.line;
    const time = this.time();
    const action = this.action(line);
    const lastTok = this.tokens[this.i - 1]!;
    const text = this.source.slice(first.offset, lastTok.offset + this.sourceLength(lastTok)).replace(/\s+/g, ' ');
    return { line, time, action, text };
  }

  private sourceLength(t: Token): number {
    return t.kind === 'string' || t.kind === 'shell' ? t.text.length + 2 : t.text.length;
  }

  private action(line: number): Action {
    const t = this.peek();
    if (t === undefined) throw new ParseError(line, 'expected an action after the time');
    if (t.kind === 'shell') {
      this.i++;
      return { kind: 'unsupported', what: `shell command \`${t.text}\` (not run)` };
    }
    if (t.kind === 'code') {
      this.i++;
      return { kind: 'unsupported', what: 'Python code snippet %{ … }%' };
    }
    if (t.kind === 'punct' && (t.text === '<' || t.text === '>')) return this.packet(line);
    if (t.kind === 'ellipsis' || t.kind === 'word') return { kind: 'syscall', call: this.syscall() };
    throw new ParseError(t.line, `expected a packet, a system call or a command, found '${t.text}'`);
  }

  private packet(line: number): Action {
    const direction = this.next('a direction').text === '<' ? 'inbound' : 'outbound';
    if (this.isPunct('[')) {
      // `[noecn]`, `[ect0]` … (IP ECN field) or an ICMP's quoted header: the runner has no IP layer.
      const inner: string[] = [];
      this.i++;
      while (!this.done && !this.isPunct(']')) inner.push(this.next('an IP marking').text);
      this.expectPunct(']', 'closing the IP marking');
      const rest = this.peek();
      const kind = rest !== undefined && rest.kind === 'word' && (rest.text === 'icmp' || rest.text === 'udp') ? `${rest.text} packet` : `IP marking [${inner.join('')}]`;
      this.skipLine(line);
      return { kind: 'unsupported', what: kind };
    }
    const w = this.peek();
    if (w !== undefined && w.kind === 'word' && ['icmp', 'udp', 'gre', 'mpls', 'udplite'].includes(w.text)) {
      this.skipLine(line);
      return { kind: 'unsupported', what: `${w.text} packet` };
    }
    const flags = this.flags();
    const start = this.integer('the start sequence number');
    this.expectPunct(':', 'between start and end sequence numbers');
    const end = this.integer('the end sequence number');
    this.expectPunct('(', 'before the length');
    const len = this.integer('the segment length', 65535);
    this.expectPunct(')', 'after the length');
    if (((end - start) >>> 0) !== len) throw new ParseError(line, `inconsistent segment: ${start}:${end} is ${(end - start) >>> 0} bytes, not (${len})`);
    const p: PacketSpec = { direction, flags, start, end, len, ack: undefined, window: undefined, options: undefined };
    for (;;) {
      const k = this.peek();
      if (k === undefined || k.kind !== 'word' || k.line !== line) break;
      if (k.text === 'ack') {
        this.i++;
        p.ack = this.integer('the ack number');
      } else if (k.text === 'win') {
        this.i++;
        p.window = this.integer('the window', 65535);
      } else if (k.text === 'urg') {
        this.skipLine(line);
        return { kind: 'unsupported', what: 'urgent pointer (urg)' };
      } else {
        throw new ParseError(k.line, `unexpected '${k.text}' in a packet (expected ack, win or <options>)`);
      }
    }
    if (this.isPunct('<') && this.peek()!.line === line) {
      this.i++;
      if (this.peek()?.kind === 'ellipsis') {
        this.i++;
        p.options = 'any';
      } else {
        const opts = this.tcpOptions(line);
        if (typeof opts === 'string') {
          this.skipLine(line);
          return { kind: 'unsupported', what: opts };
        }
        p.options = opts;
      }
      this.expectPunct('>', 'closing the option list');
    }
    if (direction === 'inbound' && p.window === undefined) throw new ParseError(line, 'an inbound packet needs a window (win N)');
    return { kind: 'packet', packet: p };
  }

  private flags(): number {
    const t = this.next('TCP flags');
    if (t.kind === 'punct' && t.text === '-') return 0;
    let text = t.text;
    if (t.kind === 'word') {
      if (this.isPunct('.') && this.peek()!.offset === t.offset + t.text.length) {
        this.i++;
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
  private tcpOptions(line: number): ScriptTcpOption[] | string {
    const out: ScriptTcpOption[] = [];
    for (;;) {
      const t = this.next('a TCP option');
      switch (t.text) {
        case 'nop':
          out.push({ kind: 'nop' });
          break;
        case 'eol':
          out.push({ kind: 'eol' });
          break;
        case 'mss':
          out.push({ kind: 'mss', value: this.integer('the MSS', 65535) });
          break;
        case 'wscale':
          out.push({ kind: 'wscale', value: this.integer('the window scale', 255) });
          break;
        case 'sackOK':
          out.push({ kind: 'sackOK' });
          break;
        case 'sack': {
          const blocks: Array<readonly [number, number]> = [];
          while (this.peek()?.kind === 'int') {
            const left = this.integer('a SACK left edge');
            this.expectPunct(':', 'in a SACK block');
            blocks.push([left, this.integer('a SACK right edge')] as const);
          }
          if (blocks.length === 0) throw new ParseError(t.line, 'sack needs at least one block A:B');
          out.push({ kind: 'sack', blocks });
          break;
        }
        case 'TS': {
          const v = this.next("'val'");
          if (v.text !== 'val') throw new ParseError(v.line, `expected 'TS val N ecr N', found '${v.text}'`);
          const val = this.integer('the TS value');
          const e = this.next("'ecr'");
          if (e.text !== 'ecr') throw new ParseError(e.line, `expected 'ecr' after TS val, found '${e.text}'`);
          out.push({ kind: 'TS', val, ecr: this.integer('the TS echo reply') });
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
      if (!this.isPunct(',')) break;
      this.i++;
    }
    if (this.peek()?.line !== line && !this.done) throw new ParseError(line, 'an option list must end on its line');
    return out;
  }

  private syscall(): SyscallSpec {
    let endUs: number | undefined;
    if (this.peek()!.kind === 'ellipsis') {
      this.i++;
      endUs = this.seconds();
    }
    const name = this.next('a system call name');
    if (name.kind !== 'word') throw new ParseError(name.line, `expected a system call name, found '${name.text}'`);
    this.expectPunct('(', `after ${name.text}`);
    const args = this.isPunct(')') ? [] : this.exprList(')');
    this.expectPunct(')', `closing ${name.text}(`);
    this.expectPunct('=', `before the result of ${name.text}`);
    const result = this.expr();
    let errno: string | undefined;
    const e = this.peek();
    if (e !== undefined && e.kind === 'word' && e.line === name.line && /^E[A-Z0-9]+$/.test(e.text)) {
      this.i++;
      errno = e.text;
      if (this.isPunct('(')) {
        // The note: free words up to the closing parenthesis.
        let depth = 0;
        do {
          const t = this.next("')' closing the note");
          if (t.kind === 'punct' && t.text === '(') depth++;
          if (t.kind === 'punct' && t.text === ')') depth--;
        } while (depth > 0);
      }
    }
    return { name: name.text, args, endUs, result, errno };
  }

  private exprList(close: string): Expr[] {
    const out = [this.expr()];
    while (this.isPunct(',')) {
      this.i++;
      out.push(this.expr());
    }
    if (!this.isPunct(close)) {
      const t = this.peek();
      throw new ParseError(t?.line ?? this.lastLine(), `expected ',' or '${close}', found '${t?.text ?? 'end of script'}'`);
    }
    return out;
  }

  private expr(): Expr {
    let left = this.primary();
    while (this.isPunct('|')) {
      this.i++;
      left = { kind: 'or', left, right: this.primary() };
    }
    return left;
  }

  private primary(): Expr {
    const t = this.next('an expression');
    if (t.kind === 'ellipsis') return { kind: 'ellipsis' };
    if (t.kind === 'int') return { kind: 'int', value: t.value! };
    if (t.kind === 'string') {
      if (this.peek()?.kind === 'ellipsis') this.i++;
      return { kind: 'string', value: t.text };
    }
    if (t.kind === 'punct' && t.text === '[') {
      const items = this.isPunct(']') ? [] : this.exprList(']');
      this.expectPunct(']', 'closing the array');
      return { kind: 'array', items };
    }
    if (t.kind === 'punct' && t.text === '{') {
      const fields: Array<{ name: string; value: Expr }> = [];
      while (!this.isPunct('}')) {
        const named = this.peek()?.kind === 'word' && (this.isPunct('=', 1) || this.isPunct('(', 1));
        if (!named) {
          // A positional member, as in an iovec {..., 10}.
          const value = this.expr();
          fields.push({ name: value.kind === 'ellipsis' ? '...' : `#${fields.length}`, value });
        } else {
          const f = this.next('a field name');
          let name = f.text;
          if (this.isPunct('(')) {
            // msghdr fields carry a size: msg_iov(1)=[…], msg_name(...)=…
            this.i++;
            const args = this.isPunct(')') ? [] : this.exprList(')');
            this.expectPunct(')', `closing ${f.text}(`);
            name = `${f.text}(${args.map((a) => (a.kind === 'int' ? String(a.value) : '...')).join(',')})`;
          }
          this.expectPunct('=', `after ${name}`);
          fields.push({ name, value: this.expr() });
        }
        if (this.isPunct(',')) this.i++;
        else break;
      }
      this.expectPunct('}', 'closing the structure');
      return { kind: 'struct', fields };
    }
    if (t.kind === 'word') {
      if (this.isPunct('(')) {
        this.i++;
        const args = this.isPunct(')') ? [] : this.exprList(')');
        this.expectPunct(')', `closing ${t.text}(`);
        return { kind: 'call', name: t.text, args };
      }
      return { kind: 'word', name: t.text };
    }
    throw new ParseError(t.line, `expected an expression, found '${t.text}'`);
  }
}

/** Parses a whole script; the errors list every line that could not be read. */
export function parseScript(source: string): { script: Script; errors: ScriptSyntaxError[] } {
  const { tokens, errors: lexErrors } = tokenize(source);
  const errors: ScriptSyntaxError[] = lexErrors.map((e) => ({ line: e.line, message: e.message }));
  const script: Script = { options: [], events: [] };
  const p = new Parser(source, tokens);
  for (let o = p.option(); o !== undefined; o = p.option()) script.options.push(o);
  while (!p.done) {
    const startLine = p.line;
    try {
      script.events.push(p.event());
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      errors.push({ line: e.line, message: e.message });
      p.resync(Math.max(startLine, e.line));
    }
  }
  errors.sort((a, b) => a.line - b.line);
  return { script, errors };
}

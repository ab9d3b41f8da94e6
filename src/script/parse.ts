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

import type { Action, EventTime, Script, ScriptEvent, ScriptSyntaxError } from './ast';
import { parsePacket } from './parse-packet';
import { parseSyscall } from './parse-syscall';
import { ParseError, TokenCursor } from './token-cursor';
import { type Token, tokenize } from './tokens';

class Parser extends TokenCursor {
  constructor(
    private readonly source: string,
    tokens: Token[],
  ) {
    super(tokens);
  }

  option(): { name: string; value: string; line: number } | undefined {
    const t = this.peek();
    if (t === undefined || t.kind !== 'option') return undefined;
    this.advance();
    const eq = t.text.indexOf('=');
    return eq < 0 ? { name: t.text.slice(2), value: '', line: t.line } : { name: t.text.slice(2, eq), value: t.text.slice(eq + 1), line: t.line };
  }

  private time(): EventTime {
    if (this.isPunct('*')) {
      this.advance();
      return { kind: 'any' };
    }
    const relative = this.isPunct('+');
    if (relative) this.advance();
    const us = this.seconds();
    if (!this.isPunct('~')) return relative ? { kind: 'relative', us } : { kind: 'absolute', us };
    this.advance();
    const endRelative = this.isPunct('+');
    if (endRelative) this.advance();
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
    const lastTok = this.previous()!;
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
      this.advance();
      return { kind: 'unsupported', what: `shell command \`${t.text}\` (not run)` };
    }
    if (t.kind === 'code') {
      this.advance();
      return { kind: 'unsupported', what: 'Python code snippet %{ … }%' };
    }
    if (t.kind === 'punct' && (t.text === '<' || t.text === '>')) return parsePacket(this, line);
    if (t.kind === 'ellipsis' || t.kind === 'word') return { kind: 'syscall', call: parseSyscall(this) };
    throw new ParseError(t.line, `expected a packet, a system call or a command, found '${t.text}'`);
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

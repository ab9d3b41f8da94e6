/**
 * Reading a packetdrill script's tokens one at a time, for the parser: look ahead, take the next
 * token, expect punctuation or a bounded integer, and skip a line after an error. Errors are
 * `ParseError`s with the line they were found on.
 */

import type { Token } from './tokens';

export class ParseError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

export const MAX_U32 = 0xffffffff;

export class TokenCursor {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  get done(): boolean {
    return this.i >= this.tokens.length;
  }

  /** The line of the next token. */
  get line(): number {
    return this.peek()?.line ?? this.lastLine();
  }

  /** After a syntax error: continue at the first token past `line`. */
  resync(line: number): void {
    while (!this.done && this.peek()!.line <= line) this.advance();
  }

  peek(k = 0): Token | undefined {
    return this.tokens[this.i + k];
  }

  lastLine(): number {
    return this.tokens[Math.max(0, Math.min(this.i, this.tokens.length) - 1)]?.line ?? 1;
  }

  next(what: string): Token {
    const t = this.tokens[this.i];
    if (t === undefined) throw new ParseError(this.lastLine(), `expected ${what}, found end of script`);
    this.advance();
    return t;
  }

  isPunct(c: string, k = 0): boolean {
    const t = this.peek(k);
    return t !== undefined && t.kind === 'punct' && t.text === c;
  }

  expectPunct(c: string, what: string): Token {
    const t = this.next(`'${c}' ${what}`);
    if (t.kind !== 'punct' || t.text !== c) throw new ParseError(t.line, `expected '${c}' ${what}, found '${t.text}'`);
    return t;
  }

  integer(what: string, max = MAX_U32): number {
    const t = this.next(what);
    if (t.kind !== 'int' || t.value === undefined || t.value < 0 || t.value > max) {
      throw new ParseError(t.line, `expected ${what} (an integer 0..${max}), found '${t.text}'`);
    }
    return t.value;
  }

  /** Skips every token on `line` (for a line reported as unsupported). */
  skipLine(line: number): void {
    while (!this.done && this.peek()!.line === line) this.advance();
  }

  seconds(): number {
    const t = this.next('a time');
    if ((t.kind !== 'int' && t.kind !== 'float') || t.value === undefined) {
      throw new ParseError(t.line, `expected a time in seconds, found '${t.text}'`);
    }
    return Math.round(t.value * 1e6);
  }

  /** Moves past the next token. */
  advance(): void {
    this.i++;
  }

  /** The token taken last. */
  previous(): Token | undefined {
    return this.tokens[this.i - 1];
  }
}

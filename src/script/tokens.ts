/**
 * The lexer for packetdrill's script language (its `lexer.l`): numbers, words, strings,
 * back-quoted shell commands, `%{ … }%` code, `--option=value`, `...`, and single punctuation;
 * `//` and C comments are skipped. Every token remembers its line.
 */

export type TokenKind =
  | 'int'
  | 'float'
  | 'word'
  | 'string'
  | 'shell'
  | 'code'
  | 'option'
  | 'ellipsis'
  | 'ip'
  | 'punct';

export interface Token {
  kind: TokenKind;
  text: string;
  line: number;
  /** Offset of the token in the source (for the event's text). */
  offset: number;
  /** For numbers: the value (ints exact up to 2^53; hex included). */
  value?: number;
}

export interface LexError {
  line: number;
  message: string;
}

const PATTERNS: ReadonlyArray<readonly [TokenKind | 'skip', RegExp]> = [
  ['skip', /\/\/[^\n]*/y],
  ['skip', /\/\*[\s\S]*?\*\//y],
  ['code', /%\{[\s\S]*?\}%/y],
  ['option', /--[A-Za-z0-9_]+(=[^\s]*)?/y],
  ['ellipsis', /\.\.\./y],
  ['ip', /[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/y],
  ['int', /0x[0-9a-fA-F]+/y],
  ['float', /-?[0-9]*\.[0-9]+/y],
  ['int', /-?[0-9]+(?![A-Za-z_])/y],
  ['word', /[A-Za-z0-9_]+/y],
  ['string', /"(\\.|[^"\\])*"/y],
  ['shell', /`(\\.|[^`\\])*`/y],
];

/** Splits `source` into tokens, or reports the first character that starts none. */
export function tokenize(source: string): { tokens: Token[]; errors: LexError[] } {
  const tokens: Token[] = [];
  const errors: LexError[] = [];
  let i = 0;
  let line = 1;
  const advance = (to: number): void => {
    for (let k = i; k < to; k++) if (source.charCodeAt(k) === 10) line++;
    i = to;
  };
  outer: while (i < source.length) {
    const c = source[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      advance(i + 1);
      continue;
    }
    for (const [kind, re] of PATTERNS) {
      re.lastIndex = i;
      const m = re.exec(source);
      if (m === null) continue;
      const text = m[0];
      if (kind !== 'skip') {
        const t: Token = { kind, text, line, offset: i };
        if (kind === 'int') t.value = text.startsWith('0x') ? parseInt(text, 16) : Number(text);
        if (kind === 'float') t.value = Number(text);
        if (kind === 'string' || kind === 'shell') t.text = text.slice(1, -1);
        tokens.push(t);
      }
      advance(i + text.length);
      continue outer;
    }
    if ('<>[](){},:=|+*~.-;'.includes(c)) {
      tokens.push({ kind: 'punct', text: c, line, offset: i });
      advance(i + 1);
      continue;
    }
    errors.push({ line, message: `unexpected character '${c}'` });
    advance(i + 1);
  }
  return { tokens, errors };
}

/**
 * A system call line of a packetdrill script: `[... end] name(args) = result [ERRNO (note)]`, and
 * the expressions its arguments and result are written in (integers, strings, `a|b`, arrays,
 * structures, calls such as `htons(8080)`, `...`).
 */

import type { Expr, SyscallSpec } from './ast';
import { ParseError, type TokenCursor } from './token-cursor';

/** After the time: the tokens of one system call line. */
export function parseSyscall(c: TokenCursor): SyscallSpec {
  let endUs: number | undefined;
  if (c.peek()!.kind === 'ellipsis') {
    c.advance();
    endUs = c.seconds();
  }
  const name = c.next('a system call name');
  if (name.kind !== 'word') throw new ParseError(name.line, `expected a system call name, found '${name.text}'`);
  c.expectPunct('(', `after ${name.text}`);
  const args = c.isPunct(')') ? [] : exprList(c, ')');
  c.expectPunct(')', `closing ${name.text}(`);
  c.expectPunct('=', `before the result of ${name.text}`);
  const result = expr(c);
  let errno: string | undefined;
  const e = c.peek();
  if (e !== undefined && e.kind === 'word' && e.line === name.line && /^E[A-Z0-9]+$/.test(e.text)) {
    c.advance();
    errno = e.text;
    if (c.isPunct('(')) {
      // The note: free words up to the closing parenthesis.
      let depth = 0;
      do {
        const t = c.next("')' closing the note");
        if (t.kind === 'punct' && t.text === '(') depth++;
        if (t.kind === 'punct' && t.text === ')') depth--;
      } while (depth > 0);
    }
  }
  return { name: name.text, args, endUs, result, errno };
}

function exprList(c: TokenCursor, close: string): Expr[] {
  const out = [expr(c)];
  while (c.isPunct(',')) {
    c.advance();
    out.push(expr(c));
  }
  if (!c.isPunct(close)) {
    const t = c.peek();
    throw new ParseError(t?.line ?? c.lastLine(), `expected ',' or '${close}', found '${t?.text ?? 'end of script'}'`);
  }
  return out;
}

function expr(c: TokenCursor): Expr {
  let left = primary(c);
  while (c.isPunct('|')) {
    c.advance();
    left = { kind: 'or', left, right: primary(c) };
  }
  return left;
}

function primary(c: TokenCursor): Expr {
  const t = c.next('an expression');
  if (t.kind === 'ellipsis') return { kind: 'ellipsis' };
  if (t.kind === 'int') return { kind: 'int', value: t.value! };
  if (t.kind === 'string') {
    if (c.peek()?.kind === 'ellipsis') c.advance();
    return { kind: 'string', value: t.text };
  }
  if (t.kind === 'punct' && t.text === '[') {
    const items = c.isPunct(']') ? [] : exprList(c, ']');
    c.expectPunct(']', 'closing the array');
    return { kind: 'array', items };
  }
  if (t.kind === 'punct' && t.text === '{') {
    const fields: Array<{ name: string; value: Expr }> = [];
    while (!c.isPunct('}')) {
      const named = c.peek()?.kind === 'word' && (c.isPunct('=', 1) || c.isPunct('(', 1));
      if (!named) {
        // A positional member, as in an iovec {..., 10}.
        const value = expr(c);
        fields.push({ name: value.kind === 'ellipsis' ? '...' : `#${fields.length}`, value });
      } else {
        const f = c.next('a field name');
        let name = f.text;
        if (c.isPunct('(')) {
          // msghdr fields carry a size: msg_iov(1)=[…], msg_name(...)=…
          c.advance();
          const args = c.isPunct(')') ? [] : exprList(c, ')');
          c.expectPunct(')', `closing ${f.text}(`);
          name = `${f.text}(${args.map((a) => (a.kind === 'int' ? String(a.value) : '...')).join(',')})`;
        }
        c.expectPunct('=', `after ${name}`);
        fields.push({ name, value: expr(c) });
      }
      if (c.isPunct(',')) c.advance();
      else break;
    }
    c.expectPunct('}', 'closing the structure');
    return { kind: 'struct', fields };
  }
  if (t.kind === 'word') {
    if (c.isPunct('(')) {
      c.advance();
      const args = c.isPunct(')') ? [] : exprList(c, ')');
      c.expectPunct(')', `closing ${t.text}(`);
      return { kind: 'call', name: t.text, args };
    }
    return { kind: 'word', name: t.text };
  }
  throw new ParseError(t.line, `expected an expression, found '${t.text}'`);
}

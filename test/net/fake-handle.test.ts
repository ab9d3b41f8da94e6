/**
 * The Socket state machine alone, over a scripted fake handle (no TCP): how handle reads, EOF,
 * errors and write completions become stream calls and events (STYLE.md, "The net layer").
 */

import test from 'ava';
import { BaseSocket } from '../../src/net';
import { UV_EOF, uvErrno } from '../../src/net/errors';
import type { ShutdownReq, SocketName, StreamHandle, WriteReq } from '../../src/net/handle';

class FakeHandle implements StreamHandle {
  onread: (nread: number, chunk: Buffer | undefined) => void = () => undefined;
  reading = false;
  bytesRead = 0;
  bytesWritten = 0;
  writeQueueSize = 0;
  calls: string[] = [];
  writes: Array<{ req: WriteReq; chunks: Uint8Array[] }> = [];
  shutdowns: ShutdownReq[] = [];
  writeResult = 0;
  completeWritesAtOnce = false;

  getAsyncId(): number {
    return 1;
  }
  readStart(): number {
    this.calls.push('readStart');
    this.reading = true;
    return 0;
  }
  readStop(): number {
    this.calls.push('readStop');
    this.reading = false;
    return 0;
  }
  writev(req: WriteReq, chunks: readonly Uint8Array[]): number {
    this.calls.push(`writev ${chunks.map((c) => Buffer.from(c).toString()).join('|')}`);
    if (this.writeResult !== 0) return this.writeResult;
    req.async = !this.completeWritesAtOnce;
    this.writes.push({ req, chunks: [...chunks] });
    return 0;
  }
  shutdown(req: ShutdownReq): number {
    this.calls.push('shutdown');
    this.shutdowns.push(req);
    return 0;
  }
  close(cb?: () => void): void {
    this.calls.push('close');
    if (cb) setImmediate(cb);
  }
  reset(cb?: () => void): number {
    this.calls.push('reset');
    if (cb) setImmediate(cb);
    return 0;
  }
  getsockname(out: SocketName): number {
    Object.assign(out, { address: '10.0.0.1', family: 'IPv4', port: 80 });
    return 0;
  }
  getpeername(out: SocketName): number {
    Object.assign(out, { address: '10.0.0.2', family: 'IPv4', port: 5555 });
    return 0;
  }
  ref(): void {}
  unref(): void {}
  hasRef(): boolean {
    return true;
  }
  /** The engine delivers bytes. */
  deliver(text: string): void {
    const b = Buffer.from(text);
    this.bytesRead += b.length;
    this.onread(b.length, b);
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function socketOn(handle: FakeHandle, opts: { allowHalfOpen?: boolean; highWaterMark?: number } = {}): { s: InstanceType<typeof BaseSocket>; log: string[] } {
  const s = new BaseSocket({ handle, ...opts });
  const log: string[] = [];
  for (const ev of ['data', 'end', 'finish', 'error', 'close']) {
    s.on(ev, (a: unknown) => log.push(ev === 'data' ? `data ${String(a)}` : ev === 'error' ? `error ${(a as Error).message}` : ev === 'close' ? `close ${String(a)}` : ev));
  }
  return { s, log };
}

test('a socket on a handle starts reading at once; names come from the handle', (t) => {
  const h = new FakeHandle();
  const { s } = socketOn(h);
  t.deepEqual(h.calls, ['readStart']);
  t.is(s.remoteAddress, '10.0.0.2');
  t.is(s.localPort, 80);
  t.is(s.readyState, 'open');
});

test('data → push; a full buffer stops the handle reading; reading on restarts it', async (t) => {
  const h = new FakeHandle();
  const { s } = socketOn(h, { highWaterMark: 4 });
  s.pause();
  h.deliver('abcdef');
  t.is(h.calls.at(-1), 'readStop', 'push returned false');
  t.false(h.reading);
  t.is(String(s.read()), 'abcdef');
  await tick();
  t.is(h.calls.at(-1), 'readStart');
  t.is(s.bytesRead, 6);
});

test('EOF → end; allowHalfOpen false ends our side: shutdown, finish, close(false)', async (t) => {
  const h = new FakeHandle();
  const { s, log } = socketOn(h);
  s.resume();
  h.deliver('hi');
  h.onread(UV_EOF, undefined);
  await tick();
  t.deepEqual(h.calls.filter((c) => c === 'shutdown'), ['shutdown']);
  t.false(log.includes('finish'), 'finish waits for the shutdown to complete');
  h.shutdowns[0]!.oncomplete(0);
  await tick();
  await tick();
  t.deepEqual(log, ['data hi', 'end', 'finish', 'close false']);
  t.true(h.calls.includes('close'));
});

test('allowHalfOpen true: EOF leaves our side open for writing', async (t) => {
  const h = new FakeHandle();
  h.completeWritesAtOnce = true;
  const { s, log } = socketOn(h, { allowHalfOpen: true });
  s.resume();
  h.onread(UV_EOF, undefined);
  await tick();
  t.deepEqual(log, ['end']);
  t.is(s.readyState, 'writeOnly');
  s.write('still writing');
  t.is(h.calls.at(-1), 'writev still writing');
  s.end();
  await tick();
  h.shutdowns[0]!.oncomplete(0);
  await tick();
  await tick();
  t.deepEqual(log, ['end', 'finish', 'close false']);
});

test('a read error: error (read ECONNRESET) then close(true), both after the call returns', async (t) => {
  const h = new FakeHandle();
  const { log } = socketOn(h);
  h.onread(uvErrno('ECONNRESET'), undefined);
  t.deepEqual(log, [], 'nothing emitted synchronously');
  await tick();
  await tick();
  t.deepEqual(log, ['error read ECONNRESET', 'close true']);
});

test('writes complete when the handle says so; a failed completion destroys with write EPIPE', async (t) => {
  const h = new FakeHandle();
  const { s, log } = socketOn(h);
  let done = false;
  s.write('one', () => (done = true));
  await tick();
  t.false(done);
  t.is(s.bufferSize, 3);
  h.writes[0]!.req.oncomplete(0);
  await tick();
  t.true(done);
  s.write('two', (err) => log.push(`cb ${err?.message}`));
  h.writes[1]!.req.oncomplete(uvErrno('EPIPE'));
  await tick();
  await tick();
  t.deepEqual(log, ['cb write EPIPE', 'error write EPIPE', 'close true']);
});

test('queued writes go to the handle together (writev); a write error status from writev destroys', async (t) => {
  const h = new FakeHandle();
  const { s, log } = socketOn(h);
  s.cork();
  s.write('a');
  s.write('b');
  s.write('c');
  s.uncork();
  t.is(h.calls.at(-1), 'writev a|b|c');
  h.writes[0]!.req.oncomplete(0);
  h.writeResult = uvErrno('ECONNRESET');
  s.write('d');
  await tick();
  await tick();
  t.deepEqual(log, ['error write ECONNRESET', 'close true']);
});

test('resetAndDestroy resets the handle instead of closing it', async (t) => {
  const h = new FakeHandle();
  const { s, log } = socketOn(h);
  s.resetAndDestroy();
  await tick();
  await tick();
  t.true(h.calls.includes('reset'));
  t.false(h.calls.includes('close'));
  t.deepEqual(log, ['close false']);
});

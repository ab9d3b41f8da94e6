/**
 * The write side of `Socket`: Node's `writeGeneric`/`writevGeneric` (lib/internal/stream_base_commons)
 * turning the stream's chunks into one handle write (queued until a pending connect finishes),
 * and Node's write-after-FIN rule for `allowHalfOpen: false`.
 */

import { Duplex } from 'stream';
import { ERR_SOCKET_CLOSED, ERR_SOCKET_CLOSED_BEFORE_CONNECTION, endedByPeerError, errnoException } from './errors';
import type { WriteReq } from './handle';
import type { Socket } from './socket';
import { type Chunk, SocketState } from './socket-state';
import { TcpHandle } from './tcp-handle';

export type WriteCallback = (error?: Error | null) => void;

/**
 * Buffers whose writer gives them up for good (`handOverBuffer`): written without a copy. A weak
 * set, so a buffer handed over but never written costs nothing.
 */
const handedOver = new WeakSet<Uint8Array>();

/**
 * A usernet extension for code that forwards bytes it will never touch again (the relay passing a
 * host socket's `'data'` chunk on): the next write of exactly this buffer to a usernet socket keeps
 * it instead of copying it. Node's contract otherwise lets a writer reuse its buffer once the
 * write callback ran, and TCP may still need the bytes then (retransmission), hence the copy.
 */
export function handOverBuffer(buf: Uint8Array): void {
  handedOver.add(buf);
}

/**
 * A usernet extension, the counterpart of `handOverBuffer`: how many of the bytes written to this
 * socket its TCP no longer holds — the peer acknowledged them and they left the send buffer
 * (Linux `tcpi_bytes_acked`). Bytes leave in the order they were written, so a writer that handed
 * over buffers may reuse each one once this count passes its last byte. `null` when nobody can
 * say: not a usernet TCP socket, or its connection was given back to the engine (after `close`,
 * TCP may still be sending what was written).
 */
export function bytesReleased(stream: Duplex): number | null {
  if (!(stream instanceof SocketState)) return null;
  const handle = stream._handle;
  return handle instanceof TcpHandle ? (handle.connection?.bytesAcked ?? null) : null;
}

/** Bytes the transport may keep after the write callback: a copy (or a fresh buffer for strings). */
function ownedBuffer(c: Chunk): Buffer {
  if (typeof c.chunk === 'string') return Buffer.from(c.chunk, c.encoding);
  const bytes = c.chunk as Uint8Array;
  if (handedOver.delete(bytes)) return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Buffer.from(bytes); // copies
}

/** `Socket._write`/`_writev`: hands `data` to the handle as one write; `cb` runs once the bytes are in the transport. */
export function writeGeneric(self: Socket, data: Chunk[], cb: WriteCallback): void {
  if (self.connecting) {
    self._pendingData = data;
    self._pendingEncoding = data.length === 1 ? data[0]!.encoding : '';
    const onClose = (): void => cb(ERR_SOCKET_CLOSED_BEFORE_CONNECTION());
    self.once('connect', () => {
      self.off('close', onClose);
      writeGeneric(self, data, cb);
    });
    self.once('close', onClose);
    return;
  }
  self._pendingData = null;
  self._pendingEncoding = '';
  const handle = self._handle;
  if (handle === null) {
    cb(ERR_SOCKET_CLOSED());
    return;
  }
  self._unrefTimer();
  const bufs = data.map(ownedBuffer);
  let bytes = 0;
  for (const b of bufs) bytes += b.byteLength;
  // The handle counts what it was given (`bytesWritten` reads its counter).
  const req: WriteReq = {
    async: false,
    oncomplete: (status) => {
      if (status < 0) {
        cb(errnoException(status, 'write'));
        return;
      }
      self._unrefTimer();
      self._lastWriteQueueSize = 0;
      cb(null);
    },
  };
  const err = handle.writev(req, bufs);
  if (err !== 0) {
    cb(errnoException(err, 'write'));
    return;
  }
  if (!req.async) cb(null);
  else self._lastWriteQueueSize = bytes;
}

/** With `allowHalfOpen: false` the peer's FIN ends our side too; later writes fail with EPIPE. */
export function onReadableStreamEnd(this: Socket): void {
  if (!this.allowHalfOpen) (this as { write: unknown }).write = writeAfterFIN;
}

function writeAfterFIN(this: Socket, chunk: unknown, encoding?: BufferEncoding | WriteCallback, cb?: WriteCallback): boolean {
  if (!this.writableEnded) return (Duplex.prototype.write as (...a: unknown[]) => boolean).call(this, chunk, encoding, cb);
  const callback = typeof encoding === 'function' ? encoding : cb;
  const er = endedByPeerError();
  if (typeof callback === 'function') process.nextTick(callback, er);
  this.destroy(er);
  return false;
}

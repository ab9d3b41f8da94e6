/**
 * The window update after the handshake (stack/tcp/input-text.ts): the SYN-ACK's window is never
 * scaled (RFC 7323 §2.2), so a peer may be held to 64 KiB until our first ACK tells it the scaled
 * window. When data leaves less than one MSS of that window while the buffer has room (a reader
 * took it), the update is sent at once rather than after the delayed-ACK timeout.
 */

import test from 'ava';
import { ACK, bytes, established } from './harness';
import { seqAdd } from '../../../stack/tcp/seq';
import { DEFAULT_CONNECTION_OPTIONS } from '../../../stack/tcp/options';

const SCALED = { mss: 1460, windowScale: 7 };

test('a reader that took nearly the whole unscaled window gets the scaled window at once', (t) => {
  const h = established({}, SCALED);
  h.conn.readStart();
  const out = h.send({ flags: ACK, payload: bytes(65000) });
  t.is(out.length, 1, 'no waiting for the delayed ACK');
  t.is(out[0]!.ack, seqAdd(h.peerNxt, 65000));
  t.is(out[0]!.window << 3, 256 * 1024, 'the whole 256 KiB buffer, scaled by our shift of 3');
  t.true(h.events().some((e) => e.kind === 'data'));
});

test('without window scaling, or with room left for a full segment, the ACK is delayed as usual', (t) => {
  const plain = established({}, { mss: 1460 });
  plain.conn.readStart();
  t.deepEqual(plain.send({ flags: ACK, payload: bytes(65000) }), [], 'unscaled: 65535 is all the window there is');
  t.deepEqual(plain.advance(100).map((s) => s.at), [40]);

  const roomy = established({}, SCALED);
  roomy.conn.readStart();
  t.deepEqual(roomy.send({ flags: ACK, payload: bytes(60000) }), [], 'more than one MSS of the window is left');
  t.deepEqual(roomy.advance(100).map((s) => s.at), [40]);
});

test('with the buffer itself nearly full (nobody reading) there is no update to send', (t) => {
  const h = established({ connection: { ...DEFAULT_CONNECTION_OPTIONS, receiveBufferSize: 66_000 } }, SCALED);
  h.conn.readStop();
  t.deepEqual(h.send({ flags: ACK, payload: bytes(65000) }), [], 'the data waits in the buffer: 1000 bytes free');
  t.deepEqual(h.advance(100).map((s) => s.at), [40]);
});

import test from 'ava';
import { activeEstablished, closeWait, closing, established, finWait1, finWait2, lastAck, synReceived, synSent, timeWait } from './harness';

test('fixtures reach their states', (t) => {
  t.is(synSent().conn.state, 'SYN-SENT');
  t.is(synReceived().conn.state, 'SYN-RECEIVED');
  t.is(established().conn.state, 'ESTABLISHED');
  t.is(activeEstablished().conn.state, 'ESTABLISHED');
  t.is(finWait1().conn.state, 'FIN-WAIT-1');
  t.is(finWait2().conn.state, 'FIN-WAIT-2');
  t.is(closeWait().conn.state, 'CLOSE-WAIT');
  t.is(lastAck().conn.state, 'LAST-ACK');
  t.is(closing().conn.state, 'CLOSING');
  t.is(timeWait().conn.state, 'TIME-WAIT');
});

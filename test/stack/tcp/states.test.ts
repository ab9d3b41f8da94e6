/**
 * Closing and the synchronized states (RFC 9293 §3.3.2 transitions, §3.6 closing, §3.10.7.4
 * corner cases): each row starts from a fixture, feeds one segment, and checks the reply and the
 * new state.
 */
import test from 'ava';
import type { TcpState } from '../../../stack/tcp/state';
import { seqAdd } from '../../../stack/tcp/seq';
import {
  ACK, FIN, type Harness, RST, SYN, closeWait, closing, established, finWait1, finWait2, flagsOf, lastAck,
  synReceived, synSent, timeWait, activeEstablished, type SegFields,
} from './harness';

interface Row {
  name: string;
  fixture: () => Harness;
  /** The segment, relative to the fixture's scripted state. */
  seg: (h: Harness) => SegFields;
  reply: string[]; // flags of each segment out ('' none)
  state: TcpState;
  events?: string[];
}

const rows: Row[] = [
  // §3.3.2 transitions driven by segments
  { name: 'ESTABLISHED + FIN → CLOSE-WAIT, ACK (§3.10.7.4 eighth)', fixture: established, seg: () => ({ flags: FIN | ACK }), reply: ['.'], state: 'CLOSE-WAIT', events: ['peer-fin'] },
  { name: 'FIN-WAIT-1 + ACK of FIN → FIN-WAIT-2', fixture: finWait1, seg: () => ({ flags: ACK }), reply: [], state: 'FIN-WAIT-2' },
  { name: 'FIN-WAIT-1 + FIN (our FIN unacked) → CLOSING (simultaneous close)', fixture: finWait1, seg: (h) => ({ flags: FIN | ACK, ack: seqAdd(h.iss, 1) }), reply: ['.'], state: 'CLOSING', events: ['peer-fin'] },
  { name: 'FIN-WAIT-1 + FIN+ACK of our FIN → TIME-WAIT', fixture: finWait1, seg: () => ({ flags: FIN | ACK }), reply: ['.'], state: 'TIME-WAIT', events: ['peer-fin', 'closed'] },
  { name: 'FIN-WAIT-2 + FIN → TIME-WAIT', fixture: finWait2, seg: () => ({ flags: FIN | ACK }), reply: ['.'], state: 'TIME-WAIT', events: ['peer-fin', 'closed'] },
  { name: 'CLOSING + ACK of FIN → TIME-WAIT', fixture: closing, seg: () => ({ flags: ACK }), reply: [], state: 'TIME-WAIT', events: ['closed'] },
  { name: 'LAST-ACK + ACK of FIN → CLOSED', fixture: lastAck, seg: () => ({ flags: ACK }), reply: [], state: 'CLOSED', events: ['closed'] },
  // RST per state (§3.10.7.4 second, RFC 5961 §3.2: exact RCV.NXT)
  { name: 'SYN-RECEIVED (passive) + RST → deleted quietly ("return to LISTEN")', fixture: synReceived, seg: () => ({ flags: RST }), reply: [], state: 'CLOSED', events: [] },
  { name: 'ESTABLISHED + RST → ECONNRESET', fixture: established, seg: () => ({ flags: RST }), reply: [], state: 'CLOSED', events: ['error:ECONNRESET', 'closed'] },
  { name: 'FIN-WAIT-1 + RST → ECONNRESET', fixture: finWait1, seg: () => ({ flags: RST }), reply: [], state: 'CLOSED', events: ['error:ECONNRESET', 'closed'] },
  { name: 'FIN-WAIT-2 + RST → ECONNRESET', fixture: finWait2, seg: () => ({ flags: RST }), reply: [], state: 'CLOSED', events: ['error:ECONNRESET', 'closed'] },
  { name: 'CLOSE-WAIT + RST → ECONNRESET', fixture: closeWait, seg: () => ({ flags: RST }), reply: [], state: 'CLOSED', events: ['error:ECONNRESET', 'closed'] },
  { name: 'CLOSING + RST → CLOSED', fixture: closing, seg: () => ({ flags: RST }), reply: [], state: 'CLOSED', events: ['closed'] },
  { name: 'LAST-ACK + RST → CLOSED', fixture: lastAck, seg: () => ({ flags: RST }), reply: [], state: 'CLOSED', events: ['closed'] },
  { name: 'TIME-WAIT + RST → CLOSED (no event: already closed)', fixture: timeWait, seg: () => ({ flags: RST }), reply: [], state: 'CLOSED', events: [] },
  { name: 'ESTABLISHED + RST in window but not RCV.NXT → challenge ACK (RFC 5961 §3.2)', fixture: established, seg: (h) => ({ flags: RST, seq: seqAdd(h.peerNxt, 10) }), reply: ['.'], state: 'ESTABLISHED', events: [] },
  { name: 'ESTABLISHED + RST out of window → dropped silently', fixture: established, seg: (h) => ({ flags: RST, seq: seqAdd(h.peerNxt, 1 << 30) }), reply: [], state: 'ESTABLISHED', events: [] },
  // SYN in synchronized states (RFC 5961 §4.2)
  { name: 'ESTABLISHED + SYN in window → challenge ACK, state kept', fixture: established, seg: () => ({ flags: SYN }), reply: ['.'], state: 'ESTABLISHED', events: [] },
  { name: 'ESTABLISHED + SYN out of window → ACK (sequence check), state kept', fixture: established, seg: (h) => ({ flags: SYN, seq: seqAdd(h.peerNxt, -5000) }), reply: ['.'], state: 'ESTABLISHED', events: [] },
  { name: 'CLOSE-WAIT + SYN → challenge ACK', fixture: closeWait, seg: () => ({ flags: SYN }), reply: ['.'], state: 'CLOSE-WAIT' },
  // Sequence check (§3.10.7.4 first)
  { name: 'ESTABLISHED + old duplicate data → ACK, nothing delivered', fixture: established, seg: (h) => ({ flags: ACK, seq: seqAdd(h.peerNxt, -100), payload: new Uint8Array(50) }), reply: ['.'], state: 'ESTABLISHED', events: [] },
  { name: 'ESTABLISHED + data beyond the window → ACK', fixture: established, seg: (h) => ({ flags: ACK, seq: seqAdd(h.peerNxt, 300_000), payload: new Uint8Array(10) }), reply: ['.'], state: 'ESTABLISHED', events: [] },
  { name: 'ESTABLISHED + segment without ACK → dropped (§3.10.7.4 fifth)', fixture: established, seg: () => ({ flags: 0, payload: new Uint8Array(10) }), reply: [], state: 'ESTABLISHED', events: [] },
  { name: 'ESTABLISHED + ACK of unsent data → ACK, dropped', fixture: established, seg: (h) => ({ flags: ACK, ack: seqAdd(h.iss, 1000), payload: new Uint8Array(10) }), reply: ['.'], state: 'ESTABLISHED', events: [] },
  // Data after FIN, FIN with data (§3.10.7.4 seventh, eighth)
  { name: 'CLOSE-WAIT + data after the FIN → ignored, ACK', fixture: closeWait, seg: (h) => ({ flags: ACK, seq: seqAdd(h.peerNxt, -1), payload: new Uint8Array(10) }), reply: ['.'], state: 'CLOSE-WAIT', events: [] },
  { name: 'ESTABLISHED + FIN with data → data then peer-fin, CLOSE-WAIT', fixture: established, seg: () => ({ flags: FIN | ACK, payload: new Uint8Array(100) }), reply: ['.'], state: 'CLOSE-WAIT', events: ['data', 'peer-fin'] },
  { name: 'FIN-WAIT-2 + data → delivered (half-close: we still receive)', fixture: finWait2, seg: () => ({ flags: ACK, payload: new Uint8Array(100) }), reply: [], state: 'FIN-WAIT-2', events: ['data'] },
  // TIME-WAIT (§3.10.7.4: retransmitted FIN acknowledged)
  { name: 'TIME-WAIT + retransmitted FIN → ACK', fixture: timeWait, seg: (h) => ({ flags: FIN | ACK, seq: seqAdd(h.peerNxt, -1) }), reply: ['.'], state: 'TIME-WAIT', events: [] },
  { name: 'LAST-ACK + retransmitted FIN → ACK', fixture: lastAck, seg: (h) => ({ flags: FIN | ACK, seq: seqAdd(h.peerNxt, -1) }), reply: ['.'], state: 'LAST-ACK', events: [] },
];

for (const row of rows) {
  test(row.name, (t) => {
    const h = row.fixture();
    h.events();
    const out = h.send(row.seg(h));
    t.deepEqual(out.map(flagsOf), row.reply);
    t.is(h.conn.state, row.state);
    if (row.events !== undefined) t.deepEqual(h.kinds(), row.events);
  });
}

test('challenge ACK and out-of-window ACK carry <SEQ=SND.NXT><ACK=RCV.NXT>', (t) => {
  const h = established();
  const out = h.send({ flags: RST, seq: seqAdd(h.peerNxt, 10) });
  t.is(out[0]!.seq, h.conn.sndNxt);
  t.is(out[0]!.ack, h.peerNxt);
});

test('user transitions: ESTABLISHED shutdown → FIN-WAIT-1 sends FIN; CLOSE-WAIT shutdown → LAST-ACK', (t) => {
  const h = established();
  h.conn.shutdown();
  t.is(h.conn.state, 'FIN-WAIT-1');
  const out = h.flush();
  t.deepEqual(out.map(flagsOf), ['F.']);
  t.is(out[0]!.seq, seqAdd(h.iss, 1));
  const c = closeWait();
  c.conn.shutdown();
  t.is(c.conn.state, 'LAST-ACK');
  t.deepEqual(c.flush().map(flagsOf), ['F.']);
});

test('shutdown in SYN-RECEIVED is queued until ESTABLISHED, then FIN goes out', (t) => {
  const h = synReceived();
  h.conn.shutdown();
  t.is(h.conn.state, 'SYN-RECEIVED');
  const out = h.send({ flags: ACK, ack: seqAdd(h.iss, 1) });
  t.is(h.conn.state, 'FIN-WAIT-1');
  t.deepEqual(out.map(flagsOf), ['F.']);
});

test('TIME-WAIT lasts 2·MSL (60 s by default) and is reclaimed', (t) => {
  const h = timeWait();
  h.advance(59_999);
  t.is(h.conn.state, 'TIME-WAIT');
  h.advance(1);
  t.is(h.conn.state, 'CLOSED');
  t.is(h.engine.allConnections().length, 0);
});

test('TIME-WAIT restarts 2·MSL when the FIN is retransmitted', (t) => {
  const h = timeWait();
  h.advance(30_000);
  const out = h.send({ flags: FIN | ACK, seq: seqAdd(h.peerNxt, -1) });
  t.deepEqual(out.map(flagsOf), ['.']);
  h.advance(59_999);
  t.is(h.conn.state, 'TIME-WAIT');
  h.advance(1);
  t.is(h.conn.state, 'CLOSED');
});

test('MSL is configurable: TIME-WAIT is 2·MSL', (t) => {
  const h = established({ mslMs: 1000 });
  h.conn.shutdown();
  h.flush();
  h.send({ flags: ACK });
  h.send({ flags: FIN | ACK });
  t.is(h.conn.state, 'TIME-WAIT');
  h.advance(1999);
  t.is(h.conn.state, 'TIME-WAIT');
  h.advance(1);
  t.is(h.conn.state, 'CLOSED');
});

test('TIME-WAIT table is bounded: past maxTimeWait, closing skips TIME-WAIT', (t) => {
  const h = established({ maxTimeWait: 0 });
  h.conn.shutdown();
  h.flush();
  h.send({ flags: ACK });
  h.send({ flags: FIN | ACK });
  t.is(h.conn.state, 'CLOSED');
  t.is(h.engine.counter('time-wait-overflow'), 1);
});

test('a new SYN with a higher sequence number reopens a TIME-WAIT 4-tuple (RFC 9293 §3.6.1)', (t) => {
  const h = timeWait();
  const out = h.send({ flags: SYN, seq: seqAdd(h.peerNxt, 100_000), ack: 0 });
  t.deepEqual(out.map(flagsOf), ['S.']);
  t.is(h.engine.counter('time-wait-reopened'), 1);
  t.is(h.engine.allConnections()[0]!.state, 'SYN-RECEIVED');
});

test('an old SYN in TIME-WAIT gets an ACK, not a new connection', (t) => {
  const h = timeWait();
  const out = h.send({ flags: SYN, seq: seqAdd(h.peerNxt, -10), ack: 0 });
  t.deepEqual(out.map(flagsOf), ['.']);
  t.is(h.conn.state, 'TIME-WAIT');
});

test('abort sends <SEQ=SND.NXT><CTL=RST> and closes', (t) => {
  const h = established();
  h.conn.abort();
  const out = h.out();
  t.deepEqual(out.map(flagsOf), ['R.']);
  t.is(out[0]!.seq, h.conn.sndNxt);
  t.is(h.conn.state, 'CLOSED');
  t.deepEqual(h.kinds(), ['closed']);
});

test('close with unread data resets the connection (RFC 1122 §4.2.2.13)', (t) => {
  const h = established();
  h.conn.readStop();
  h.send({ flags: ACK, payload: new Uint8Array(10) });
  h.conn.close();
  t.deepEqual(h.out().map(flagsOf), ['R.']);
  t.is(h.conn.state, 'CLOSED');
});

test('close: FIN goes out, user sees closed at once; data arriving later draws RST', (t) => {
  const h = established();
  h.conn.close();
  t.deepEqual(h.kinds(), ['closed']);
  t.deepEqual(h.flush().map(flagsOf), ['F.']);
  t.is(h.conn.state, 'FIN-WAIT-1');
  const out = h.send({ flags: ACK, payload: new Uint8Array(5) });
  t.deepEqual(out.map(flagsOf), ['R.']);
  t.is(h.conn.state, 'CLOSED');
  t.deepEqual(h.kinds(), []);
});

test('orphaned FIN-WAIT-2 times out; a half-closed one does not', (t) => {
  const h = finWait2();
  h.conn.close();
  h.advance(60_000);
  t.is(h.conn.state, 'CLOSED');
  const k = finWait2();
  k.advance(10 * 60_000);
  t.is(k.conn.state, 'FIN-WAIT-2');
});

test('close in SYN-SENT deletes the TCB without a segment', (t) => {
  const h = synSent();
  h.conn.close();
  t.deepEqual(h.out(), []);
  t.is(h.conn.state, 'CLOSED');
  t.deepEqual(h.kinds(), ['closed']);
});

test('RST in SYN-RECEIVED after a simultaneous open → ECONNREFUSED', (t) => {
  const h = synSent();
  h.send({ flags: SYN, seq: 7000, ack: 0 });
  h.peerNxt = 7001;
  h.send({ flags: RST, seq: 7001 });
  t.is(h.conn.state, 'CLOSED');
  t.deepEqual(h.kinds(), ['error:ECONNREFUSED', 'closed']);
});

test('every state change is counted', (t) => {
  const h = activeEstablished();
  t.is(h.engine.counter('state:SYN-SENT'), 1);
  t.is(h.engine.counter('state:ESTABLISHED'), 1);
});

test('PAWS: a segment with an old timestamp is dropped with an ACK (RFC 7323 §5.3)', (t) => {
  const h = established({}, { mss: 1460, timestamp: { tsVal: 1000, tsEcr: 0 } });
  h.send({ flags: ACK, payload: new Uint8Array(10), options: { timestamp: { tsVal: 1005, tsEcr: 0 } } });
  h.peerNxt = seqAdd(h.peerNxt, 10);
  h.events();
  const out = h.send({ flags: ACK, payload: new Uint8Array(10), options: { timestamp: { tsVal: 900, tsEcr: 0 } } });
  t.deepEqual(out.map(flagsOf), ['.']);
  t.deepEqual(h.kinds(), []);
  t.is(out[0]!.options.timestamp!.tsEcr, 1005);
});

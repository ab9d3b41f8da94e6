import test from 'ava';
import { tcpHeaderLen } from '../../../stack/wire/tcp';
import { ACK, bytes, established } from './harness';

// RFC 9293 §3.7.1: a segment's data leaves room for the options it carries. SACK blocks
// (RFC 2018 §3) ride on data segments while we hold out-of-order data, so data must shrink.
test('while reporting holes with SACK, full-sized data segments still fit the MTU', (t) => {
  const h = established({}, { mss: 1460, sackPermitted: true, timestamp: { tsVal: 1, tsEcr: 0 } });
  // Out-of-order data from the peer: a hole at peerNxt, 100 bytes after it.
  const dupAck = h.send({ flags: ACK, seq: h.peerNxt + 100, payload: bytes(100), options: { timestamp: { tsVal: 2, tsEcr: 0 } } });
  t.true(dupAck.some((s) => (s.options.sack?.length ?? 0) > 0), 'the duplicate ACK carries a SACK block');
  h.conn.send(bytes(20_000));
  const segs = h.flush().filter((s) => s.payload.length > 0);
  t.true(segs.length > 1);
  for (const s of segs) {
    t.truthy(s.options.sack, 'data segments carry the SACK block too');
    t.true(tcpHeaderLen(s) + s.payload.length <= 1500 - 20, `segment of ${s.payload.length} bytes with ${tcpHeaderLen(s)} header bytes exceeds the MTU`);
  }
  t.is(segs[0]!.payload.length, 1460 - 12 - (4 + 8), 'MSS less timestamps less one SACK block');
});

test('without holes, data segments use the whole effective MSS again', (t) => {
  const h = established({}, { mss: 1460, sackPermitted: true, timestamp: { tsVal: 1, tsEcr: 0 } });
  h.conn.send(bytes(20_000));
  const segs = h.flush().filter((s) => s.payload.length > 0);
  t.is(segs[0]!.payload.length, 1460 - 12);
});

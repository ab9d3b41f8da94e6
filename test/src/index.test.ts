import test from 'ava';
import * as usernet from '../../src/index';

// The names the foundation issue promises users from the main entry; renaming one breaks users.
const PROMISED = ['Stack', 'TapDriver', 'MemoryLink', 'MemorySwitch', 'impair', 'capture', 'readPcap', 'readCapture', 'writePcap', 'PcapWriter', 'ReplayDriver', 'SimulatedClock', 'IpAddress', 'wire'];

test('the public entry exports the promised names', (t) => {
  const exported = usernet as unknown as Record<string, unknown>;
  for (const name of PROMISED) t.not(exported[name], undefined, name);
});

test('the wire namespaces parse what they emit', (t) => {
  const { tcp } = usernet.wire;
  const repr = { srcPort: 1, dstPort: 2, seq: 3, ack: 4, flags: tcp.TcpFlag.ACK, window: 5, urgent: 0, options: {}, payload: new Uint8Array(0) };
  const buf = new Uint8Array(tcp.tcpHeaderLen(repr));
  tcp.emitTcp(repr, buf, 0);
  const back = tcp.parseTcp(buf);
  t.false(usernet.isDrop(back));
  t.like(back, { srcPort: 1, dstPort: 2, seq: 3, ack: 4, window: 5 });
});

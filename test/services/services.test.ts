import test from 'ava';
import * as net from 'net';
import * as http from 'http';
import { createService, parseServiceSpec, type ServiceSpec } from '../../src/services';
import { chargenLine } from '../../src/services/chargen';
import { formatConnectionTable, type StatusSource } from '../../src/services/status';
import type { RelaySocket } from '../../src/relay/types';
import { closed, connect, listenOn, readAll } from '../relay/harness';

const status: StatusSource = {
  connections: () => [],
  counters: () => ({ counts: { tcp: { InSegs: 3 } }, drops: {} }),
  extra: () => ({ 'relay: active': 0 }),
};

async function serve(spec: ServiceSpec): Promise<{ port: number; close(): Promise<void> }> {
  const svc = createService(spec, status);
  const srv = net.createServer({ allowHalfOpen: true }, (s) => svc.handle(s as RelaySocket));
  const port = await listenOn(srv);
  return { port, close: async () => { svc.close(); await closed(srv); } };
}

test('parseServiceSpec', (t) => {
  t.deepEqual(parseServiceSpec('echo'), { kind: 'echo', port: 7 });
  t.deepEqual(parseServiceSpec('http:8080'), { kind: 'http', port: 8080 });
  t.regex(parseServiceSpec('ftp') as string, /unknown service/);
  t.regex(parseServiceSpec('echo:0') as string, /bad port/);
  t.regex(parseServiceSpec('echo:1:2') as string, /expected/);
});

test('echo (RFC 862) sends everything back and closes after the FIN', async (t) => {
  const s = await serve({ kind: 'echo', port: 0 });
  const c = await connect(s.port);
  const big = Buffer.alloc(3 << 20, 7);
  c.end(big);
  const r = await readAll(c);
  t.true(r.data.equals(big));
  await s.close();
});

test('discard (RFC 863) answers nothing and closes after the FIN', async (t) => {
  const s = await serve({ kind: 'discard', port: 0 });
  const c = await connect(s.port);
  c.end('into the void');
  const r = await readAll(c);
  t.is(r.data.length, 0);
  t.is(r.error, undefined);
  await s.close();
});

test('chargen (RFC 864) sends the rotating 72-character lines until the peer half-closes', async (t) => {
  t.is(chargenLine(0).length, 74);
  t.is(chargenLine(0).slice(0, 3), ' !"');
  t.is(chargenLine(1).slice(0, 3), '!"#');
  t.is(chargenLine(94)[1], ' ');
  const s = await serve({ kind: 'chargen', port: 0 });
  const c = await connect(s.port);
  const chunks: Buffer[] = [];
  let n = 0;
  await new Promise<void>((resolve) => {
    c.on('data', (d: Buffer) => {
      chunks.push(d);
      n += d.length;
      if (n >= 200 * 74 && !c.writableEnded) c.end();
    });
    c.on('end', () => resolve());
  });
  const text = Buffer.concat(chunks).toString('latin1');
  for (let i = 0; i < 200; i++) t.is(text.slice(i * 74, (i + 1) * 74), chargenLine(i % 95));
  await s.close();
});

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    }).on('error', reject).end();
  });
}

test('http: status page, JSON, bytes, 404 and 405', async (t) => {
  const s = await serve({ kind: 'http', port: 0 });
  const page = await get(s.port, '/');
  t.is(page.status, 200);
  t.regex(page.body, /no TCP connections/);
  t.regex(page.body, /tcp\.InSegs 3/);
  t.regex(page.body, /relay: active: 0/);
  const json = JSON.parse((await get(s.port, '/stats.json')).body) as { counters: { counts: { tcp: { InSegs: number } } } };
  t.is(json.counters.counts.tcp.InSegs, 3);
  const bytes = await get(s.port, '/bytes/100000');
  t.is(bytes.body.length, 100000);
  t.is(bytes.body.slice(0, 8), 'usernet ');
  t.is((await get(s.port, '/nope')).status, 404);
  t.is((await get(s.port, '/', 'POST')).status, 405);
  t.is((await get(s.port, '/bytes/2000000000')).status, 400);
  await s.close();
});

test('the connection table looks like ss -ti', (t) => {
  const table = formatConnectionTable([{
    local: '10.0.2.3:80', remote: '10.0.2.100:40000', state: 'ESTABLISHED', cwnd: 14600, ssthresh: 2 ** 31, srtt: 1.5, rttvar: 0.75, rto: 200,
    bytesInFlight: 100, retransmits: 1, bytesAcked: 5, bytesReceived: 6, segmentsIn: 7, segmentsOut: 8, mss: 1460, rcvMss: 1460,
    rcvWnd: 65535, sndWnd: 65535, sndWscale: 7, rcvWscale: 7, timestamps: true, sack: true, notSent: 20, receiveQueued: 3,
  }]);
  const lines = table.split('\n');
  t.regex(lines[1]!, /^ESTAB\s+3\s+120\s+10\.0\.2\.3:80\s+10\.0\.2\.100:40000/);
  t.regex(lines[2]!, /ts sack wscale:7,7 rto:200 rtt:1\.50\/0\.75 mss:1460 .*cwnd:14600 ssthresh:inf .*retrans:1/);
});

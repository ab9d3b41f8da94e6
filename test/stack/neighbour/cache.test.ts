import test from 'ava';
import { NeighbourCache, PENDING_PACKETS_MAX, DELAY_FIRST_PROBE_TIME_MS } from '../../../stack/neighbour/cache';
import { IpAddress } from '../../../stack/wire/address';

const A = IpAddress.parse('10.0.0.2')!;
const MAC = Uint8Array.of(2, 0, 0, 0, 0, 2);
const MAC2 = Uint8Array.of(2, 0, 0, 0, 0, 3);

test('INCOMPLETE: first packet solicits, retries every RetransTimer, gives up after 3', (t) => {
  const c = new NeighbourCache();
  const first = Uint8Array.of(1);
  t.deepEqual(c.enqueue(A, first, 0), { target: A, unicast: null, prompt: first });
  t.is(c.enqueue(A, Uint8Array.of(2), 10), null);
  t.is(c.lookup(A, 10), null);
  t.is(c.nextDeadline(), 1000);
  const retry = c.poll(1000).solicitations;
  t.is(retry.length, 1);
  t.is(retry[0]!.prompt, first, 'retries name the oldest waiting packet (RFC 4861 §7.2.2 source choice)');
  t.is(c.poll(2000).solicitations.length, 1);
  const r = c.poll(3000);
  t.is(r.solicitations.length, 0);
  t.is(r.failed.length, 1);
  t.is(r.failed[0]!.packets.length, 2);
  t.is(c.size, 0);
});

test('a solicited reply releases the queue; REACHABLE → STALE → DELAY → PROBE', (t) => {
  const c = new NeighbourCache();
  c.enqueue(A, Uint8Array.of(1), 0);
  const d = c.onAdvertisement(A, MAC, { solicited: true, override: true }, 5);
  t.deepEqual(d, { mac: MAC, packets: [Uint8Array.of(1)] });
  t.is(c.get(A)!.state, 'REACHABLE');
  c.poll(30_005);
  t.is(c.get(A)!.state, 'STALE');
  t.deepEqual(c.lookup(A, 30_010), MAC);
  t.is(c.get(A)!.state, 'DELAY');
  const p = c.poll(30_010 + DELAY_FIRST_PROBE_TIME_MS);
  t.is(c.get(A)!.state, 'PROBE');
  t.deepEqual(p.solicitations, [{ target: A, unicast: MAC }]);
  c.onAdvertisement(A, null, { solicited: true, override: false }, 35_100);
  t.is(c.get(A)!.state, 'REACHABLE');
});

test('unsolicited advertisements never create entries; a request targeting us does', (t) => {
  const c = new NeighbourCache();
  t.is(c.onAdvertisement(A, MAC, { solicited: false, override: true }, 0), null);
  t.is(c.size, 0);
  c.onSolicitation(A, MAC, 0, false);
  t.is(c.size, 0);
  c.onSolicitation(A, MAC, 0, true);
  t.is(c.get(A)!.state, 'STALE');
  // Override clear with a different address leaves the entry alone (RFC 4861 §7.2.5).
  c.onAdvertisement(A, MAC2, { solicited: true, override: false }, 1);
  t.deepEqual(c.get(A)!.mac, MAC);
});

test('the pending queue is bounded, dropping the oldest', (t) => {
  const c = new NeighbourCache();
  for (let i = 0; i < PENDING_PACKETS_MAX + 5; i++) c.enqueue(A, Uint8Array.of(i), 0);
  t.is(c.pendingDropped, 5);
  const d = c.onAdvertisement(A, MAC, { solicited: true, override: true }, 1)!;
  t.is(d.packets.length, PENDING_PACKETS_MAX);
  t.is(d.packets[0]![0], 5);
});

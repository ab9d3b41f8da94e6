import test from 'ava';
import fc from 'fast-check';
import { Reassembler, REASSEMBLY_MAX_BYTES } from '../../../stack/ip/reassembly';
import { isDrop } from '../../../stack/wire/drop';

const bytes = (n: number, seed = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

test('fragments in any order reassemble to the original payload', (t) => {
  const payload = bytes(4000);
  const r = new Reassembler<string>('ipv4', 30_000);
  const pieces = [
    [2960, 1040, false],
    [0, 1480, true],
    [1480, 1480, true],
  ] as const;
  let done = null;
  for (const [off, len, more] of pieces) {
    const res = r.insert('k', off, more, payload.subarray(off, off + len), off === 0 ? 'first' : null, 0);
    t.false(isDrop(res));
    done = res;
  }
  t.truthy(done);
  if (done === null || isDrop(done)) return;
  t.deepEqual(done.payload, payload);
  t.is(done.first, 'first');
  t.is(r.bytesHeld, 0);
  t.is(r.datagramsInProgress, 0);
});

test('an overlapping fragment discards the whole datagram (RFC 5722)', (t) => {
  const r = new Reassembler<null>('ipv6', 60_000);
  t.is(r.insert('k', 0, true, bytes(16), null, 0), null);
  const res = r.insert('k', 8, true, bytes(16), null, 0);
  t.true(isDrop(res) && res.reason === 'ipv6-frag-overlap');
  t.is(r.bytesHeld, 0);
  // The rest of the datagram no longer completes.
  t.is(r.insert('k', 16, false, bytes(8), null, 0), null);
});

test('an exact duplicate is ignored', (t) => {
  const r = new Reassembler<number>('ipv4', 30_000);
  t.is(r.insert('k', 0, true, bytes(8), 1, 0), null);
  t.is(r.insert('k', 0, true, bytes(8), 1, 0), null);
  const res = r.insert('k', 8, false, bytes(4), null, 0);
  t.truthy(res && !isDrop(res) && res.payload.length === 12);
});

test('lying lengths: non-multiple-of-8 middle fragment, data past the end, past 65535', (t) => {
  const r = new Reassembler<null>('ipv4', 30_000);
  t.is((r.insert('a', 0, true, bytes(10), null, 0) as { reason: string }).reason, 'ipv4-frag-bad-length');
  r.insert('b', 0, false, bytes(16), null, 0);
  t.is(r.insert('c', 65528, true, bytes(16), null, 0)?.toString(), 'drop(ipv4-frag-too-big)');
  t.is(r.insert('d', 16, false, bytes(8), null, 0), null);
  t.is(r.insert('d', 24, true, bytes(8), null, 0)?.toString(), 'drop(ipv4-frag-inconsistent)');
});

test('incomplete datagrams expire and report their first fragment', (t) => {
  const r = new Reassembler<string>('ipv4', 30_000);
  r.insert('k', 0, true, bytes(8), 'hdr', 100);
  t.is(r.nextDeadline(), 30_100);
  t.deepEqual(r.poll(30_099), []);
  t.deepEqual(r.poll(30_100), [{ key: 'k', first: 'hdr' }]);
  t.is(r.bytesHeld, 0);
  t.is(r.nextDeadline(), Infinity);
});

test('a fragment flood never holds more than the byte bound (seeded property)', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ key: fc.integer({ min: 0, max: 200 }), off: fc.integer({ min: 0, max: 8000 }), len: fc.integer({ min: 1, max: 1500 }), more: fc.boolean() }), { maxLength: 400 }),
      (frags) => {
        const r = new Reassembler<null>('ipv4', 30_000, 32 * 1024);
        for (const f of frags) {
          const len = f.more ? f.len * 8 : f.len;
          r.insert(String(f.key), f.off * 8, f.more, new Uint8Array(len), null, 0);
          if (r.bytesHeld > 32 * 1024 || r.bytesHeld < 0) return false;
        }
        return true;
      },
    ),
    { seed: 4242, numRuns: 60 },
  );
  t.true(REASSEMBLY_MAX_BYTES >= 65535 * 2);
});

import test from 'ava';
import { agreeOffloads } from '../../../stack/iface/offloads';
import { Stack } from '../../../stack/stack';

test('nothing is agreed when the link offers nothing or the interface says offloads: false', (t) => {
  t.deepEqual(agreeOffloads(undefined, true, 1500), {});
  t.deepEqual(agreeOffloads({ txTcpChecksum: true, txTcpSegmentation: 65535, rxChecksumAndCoalescing: true }, false, 1500), {});
});

test('segmentation needs checksum offload and a size above the MTU; it is capped at 65535', (t) => {
  t.deepEqual(agreeOffloads({ txTcpSegmentation: 65535 }, true, 1500), {});
  t.deepEqual(agreeOffloads({ txTcpChecksum: true, txTcpSegmentation: 1500 }, true, 1500), { txTcpChecksum: true });
  t.deepEqual(agreeOffloads({ txTcpChecksum: true, txTcpSegmentation: 1 << 20 }, true, 1500), { txTcpChecksum: true, txTcpSegmentation: 65535 });
  t.deepEqual(agreeOffloads({ rxChecksumAndCoalescing: true }, true, 1500), { rxChecksumAndCoalescing: true });
});

test('no segmentation on an interface configured below its link MTU: the link would cut too large', (t) => {
  t.deepEqual(agreeOffloads({ txTcpChecksum: true, txTcpSegmentation: 65535 }, true, 1400, 1500), { txTcpChecksum: true });
  const stack = new Stack({ seed: 1 });
  const link = { mtu: 1500, linkType: 'ethernet' as const, offloads: { txTcpChecksum: true as const, txTcpSegmentation: 65535 } };
  t.deepEqual(stack.addInterface(link, { ipv4: '10.0.0.1/24', mtu: 1400 }).offloads, { txTcpChecksum: true });
});

test('addInterface records what was agreed and rejects a non-boolean offloads option', (t) => {
  const stack = new Stack({ seed: 1 });
  const link = { mtu: 1500, linkType: 'ethernet' as const, offloads: { txTcpChecksum: true as const, txTcpSegmentation: 65535 } };
  t.deepEqual(stack.addInterface(link, { ipv4: '10.0.0.1/24' }).offloads, { txTcpChecksum: true, txTcpSegmentation: 65535 });
  t.deepEqual(stack.addInterface(link, { ipv4: '10.0.1.1/24', offloads: false }).offloads, {});
  t.throws(() => stack.addInterface(link, { offloads: 'yes' as unknown as boolean }), { instanceOf: TypeError, message: 'offloads must be a boolean' });
});

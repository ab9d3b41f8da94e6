import test from 'ava';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { NamespaceResolvConf, resolvConfText } from '../../src/netns/resolv-conf';
import { pendingCleanups } from '../../src/netns/cleanup';

function tempEtc(t: { teardown(f: () => void): void }): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `usernet-etc-${process.pid}-`));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  return path.join(root, 'netns');
}

test('written where ip netns exec bind-mounts it from, removed with the directories it created', (t) => {
  const etc = tempEtc(t);
  const r = NamespaceResolvConf.write('ns1', ['10.0.2.3', 'fd00:2::3'], etc);
  t.truthy(r);
  const text = fs.readFileSync(path.join(etc, 'ns1', 'resolv.conf'), 'utf8');
  t.is(text, resolvConfText('ns1', ['10.0.2.3', 'fd00:2::3']));
  t.deepEqual(text.split('\n').filter((l) => l.startsWith('nameserver')), ['nameserver 10.0.2.3', 'nameserver fd00:2::3']);
  t.true(pendingCleanups().includes(`resolv.conf ${path.join(etc, 'ns1', 'resolv.conf')}`), 'removed at exit if never removed');
  r!.remove();
  t.false(fs.existsSync(etc));
  t.false(pendingCleanups().some((l) => l.includes(etc)));
});

test('an existing resolv.conf is left alone; directories holding other files stay', (t) => {
  const etc = tempEtc(t);
  fs.mkdirSync(path.join(etc, 'mine'), { recursive: true });
  fs.writeFileSync(path.join(etc, 'mine', 'resolv.conf'), 'nameserver 192.0.2.1\n');
  t.is(NamespaceResolvConf.write('mine', ['10.0.2.3'], etc), null);
  t.is(fs.readFileSync(path.join(etc, 'mine', 'resolv.conf'), 'utf8'), 'nameserver 192.0.2.1\n');
  const r = NamespaceResolvConf.write('other', ['10.0.2.3'], etc)!;
  fs.writeFileSync(path.join(etc, 'other', 'hosts'), '10.0.2.2 host\n');
  r.remove();
  t.deepEqual(fs.readdirSync(path.join(etc, 'other')), ['hosts']);
  t.throws(() => NamespaceResolvConf.write('../escape', ['10.0.2.3'], etc), { message: /not a valid namespace name/ });
});

import test from 'ava';
import { childSecondsFromTimes, ownCpuSeconds, procCpuSeconds, procsCpuSeconds } from '../../src/bench/cpu';

test('childSecondsFromTimes reads the children line of bash `times`', (t) => {
  t.is(childSecondsFromTimes('0m0.004s 0m0.002s\n1m2.500s 0m0.250s\n'), 62.75);
  t.is(childSecondsFromTimes('CURL 1 2 3 200\n0m0.001s 0m0.000s\n0m0.100s 0m0.200s'), 0.1 + 0.2);
  t.is(childSecondsFromTimes('no figures'), null);
});

test('procCpuSeconds reads this process and grows as it works; gone processes give null', (t) => {
  const before = procCpuSeconds(process.pid);
  t.not(before, null);
  let x = 0;
  const until = ownCpuSeconds() + 0.05;
  while (ownCpuSeconds() < until) x += Math.sqrt(x + 1);
  t.true(x > 0);
  t.true(procCpuSeconds(process.pid)! >= before!);
  t.is(procCpuSeconds(0x7ffffff0), null);
  t.is(procsCpuSeconds([0x7ffffff0]), 0);
});

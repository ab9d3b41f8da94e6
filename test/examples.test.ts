import test from 'ava';
import { twoStacks } from '../examples/two-stacks';

// The README's library example, run as it is printed there.
test('README example: an echo server and a client on two stacks over a memory link', async (t) => {
  t.is(await twoStacks(), 'hello over usernet');
});

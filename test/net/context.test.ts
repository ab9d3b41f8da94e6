/**
 * `NetContext.parseAddress` (src/net/context.ts): `IpAddress.parse` with the last text remembered.
 */

import test from 'ava';
import { NetContext, type NetRuntime } from '../../src/net/context';
import type { TcpEngine } from '../../stack/tcp/engine';
import { IpAddress } from '../../stack/wire/address';

function context(): NetContext {
  const runtime: NetRuntime = {
    tcp: null as unknown as TcpEngine, // not used by parseAddress
    now: () => 0,
    kick: () => undefined,
    onTcpEvents: () => undefined,
    ref: () => undefined,
    unref: () => undefined,
  };
  return new NetContext(runtime);
}

test('parseAddress gives what IpAddress.parse gives, for each text in turn', (t) => {
  const ctx = context();
  for (const text of ['10.0.0.1', '10.0.0.1', 'fd00::2', '10.0.0.1', 'not an address', 'fd00::2', '', '::ffff:10.0.0.1']) {
    const want = IpAddress.parse(text);
    const got = ctx.parseAddress(text);
    if (want === null) t.is(got, null, text);
    else {
      t.not(got, null, text);
      t.is(got!.key, want.key, text);
      t.is(got!.family, want.family, text);
      t.is(got!.toString(), want.toString(), text);
    }
  }
});

test('the same text twice gives the same address object; an invalid text after a valid one is null', (t) => {
  const ctx = context();
  const a = ctx.parseAddress('fd00::1');
  t.is(ctx.parseAddress('fd00::1'), a);
  t.is(ctx.parseAddress('300.1.1.1'), null);
  t.is(ctx.parseAddress('300.1.1.1'), null);
  t.is(ctx.parseAddress('fd00::1')!.key, a!.key);
});

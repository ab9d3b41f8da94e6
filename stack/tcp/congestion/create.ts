/**
 * Choosing a connection's congestion control by name (DESIGN.md: "a small interface (NewReno,
 * CUBIC) chosen per connection").
 */

import { Cubic, type RttSource } from './cubic';
import { NewReno } from './newreno';
import type { CongestionAlgorithm, CongestionControl, LogTag } from './types';

/** A fresh controller for a connection whose sender MSS is `smss`; `rtt` is its RTT estimator. */
export function createCongestionControl(name: CongestionAlgorithm, smss: number, tag: LogTag, rtt: RttSource): CongestionControl {
  switch (name) {
    case 'newreno':
      return new NewReno(smss, tag);
    case 'cubic':
      return new Cubic(smss, rtt, tag);
    default:
      // Only reachable from untyped callers.
      throw new RangeError(`unknown congestion control algorithm ${JSON.stringify(name)}`);
  }
}

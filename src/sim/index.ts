/**
 * Simulation: stacks on a memory switch with seeded impairment and a simulated clock, TCP flows
 * between them, and the invariants a correct stack keeps (see scenario.ts).
 */

export { runScenario, DEFAULT_TIME_LIMIT_MS, DRAIN_MS, type FlowSpec, type FlowResult, type ScenarioOptions, type ScenarioResult } from './scenario';
export { randomScenario, type RandomScenarioOptions } from './random-scenario';
export { Flow, patternByte, WRITE_CHUNK_BYTES, type FlowOutcome } from './flow';

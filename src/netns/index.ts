/** Network-namespace orchestration: the test harness and `usernet netns` share it. */
export {
  Netns,
  canUseNetns,
  hasCommand,
  linkExists,
  listHarnessNamespaces,
  removeStaleNamespaces,
  uniqueLinkName,
  IFNAMSIZ_MAX,
  NETNS_PREFIX,
  type LinkPlan,
} from './namespace';
export { BackgroundProcess, run, runOk, type RunOptions, type RunResult } from './run';
export { onCleanup, pendingCleanups, runAllCleanups } from './cleanup';

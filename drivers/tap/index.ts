/** The TAP driver: a Linux TAP interface as a usernet `LinkDriver`. */
export { TapDriver, TAP_DEFAULT_BATCH, TAP_DEFAULT_TX_QUEUE_LIMIT, type TapOpenOptions } from './tap-driver';

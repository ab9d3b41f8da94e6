/**
 * Frame I/O for usernet (DESIGN.md, "Drivers"): memory links and a switch, impairment, capture,
 * replay, pcap/pcapng files, and the scheduler and PRNG they run on. The TAP driver lives in
 * `drivers/tap/` and is exported from there.
 */

export type { LinkDriver, LinkOffloads, LinkType } from '../stack/link';
export { realScheduler, SimulatedClock, SIMULATION_STEP_LIMIT, type ScheduledTask, type Scheduler } from './scheduler';
export { Xoshiro128, deriveSeed, seedWords, type Prng } from './prng';
export {
  MemoryLink,
  MemoryEndpoint,
  copyFrame,
  DEFAULT_MTU,
  DEFAULT_QUEUE_FRAMES,
  ETHERNET_HEADER_BYTES,
  type MemoryLinkOptions,
  type MemoryLinkStats,
} from './memory-link';
export { MEMORY_LINK_OFFLOADS } from './memory-offloads';
export { MemorySwitch, MAC_AGEING_MS, MAC_TABLE_LIMIT, type MemorySwitchOptions, type MemorySwitchStats } from './switch';
export {
  impair,
  ImpairedLink,
  ImpairedDirection,
  IMPAIR_QUEUE_FRAMES,
  DEFAULT_REORDER_HOLD_MS,
  type ImpairConfig,
  type ImpairOptions,
  type ImpairStats,
} from './impair';
export { capture, CapturedLink, type CaptureOptions } from './capture';
export { ReplayDriver, fromSource, ipSourceOf, type ReplayFilter, type ReplayOptions, type SentFrame } from './replay';
export {
  CaptureFormatError,
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_RAW,
  MAX_RECORD_BYTES,
  linkTypeNumberOf,
  linkTypeOf,
  type PcapFile,
  type PcapRecord,
} from './pcap/format';
export {
  readPcap,
  readPcapFile,
  readCapture,
  readCaptureFile,
  PCAP_MAGIC_MICROSECONDS,
  PCAP_MAGIC_NANOSECONDS,
} from './pcap/read';
export { readPcapng, type PcapngFile, type PcapngInterface } from './pcap/pcapng';
export { writePcap, PcapWriter, type PcapWriteOptions, type PcapWriteRecord } from './pcap/write';
export * from './tap';

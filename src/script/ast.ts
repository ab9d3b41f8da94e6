/**
 * The parsed form of a script in packetdrill's language (google/packetdrill, `Syntax.md`):
 * timed events that inject a TCP segment (`<`), expect one (`>`), or make a system call. Lines
 * the runner cannot execute (shell commands, Python snippets, UDP/ICMP packets …) are kept as
 * `unsupported` events so they are reported by name, never skipped.
 */

/** An event's time, in microseconds (packetdrill's unit). */
export type EventTime =
  | { kind: 'absolute'; us: number }
  | { kind: 'relative'; us: number }
  /** `*`: whenever it happens. */
  | { kind: 'any' }
  /** `0.1~0.2` or `+0.1~+0.2`. */
  | { kind: 'absolute-range'; us: number; endUs: number }
  | { kind: 'relative-range'; us: number; endUs: number };

/** One item of an option list as written, in order (`nop` and `eol` included). */
export type ScriptTcpOption =
  | { kind: 'nop' }
  | { kind: 'eol' }
  | { kind: 'mss'; value: number }
  | { kind: 'wscale'; value: number }
  | { kind: 'sackOK' }
  | { kind: 'sack'; blocks: Array<readonly [number, number]> }
  | { kind: 'TS'; val: number; ecr: number };

export interface PacketSpec {
  direction: 'inbound' | 'outbound';
  /** `TcpFlag` bitmask. */
  flags: number;
  /** Relative sequence numbers `start:end(len)`. */
  start: number;
  end: number;
  len: number;
  /** `ack N`; undefined when not written. */
  ack: number | undefined;
  /** `win N`; undefined when not written (outbound: not checked). */
  window: number | undefined;
  /** undefined: no option list written (none expected / none sent); 'any': `<...>`. */
  options: ScriptTcpOption[] | 'any' | undefined;
}

/** A system-call argument or result, as written. */
export type Expr =
  | { kind: 'ellipsis' }
  | { kind: 'int'; value: number }
  | { kind: 'word'; name: string }
  | { kind: 'string'; value: string }
  | { kind: 'or'; left: Expr; right: Expr }
  | { kind: 'array'; items: Expr[] }
  | { kind: 'struct'; fields: Array<{ name: string; value: Expr }> }
  | { kind: 'call'; name: string; args: Expr[] };

export interface SyscallSpec {
  name: string;
  args: Expr[];
  /** `...T`: a blocking call that returns at T (same base as the start time). */
  endUs: number | undefined;
  result: Expr;
  /** `= -1 ECONNREFUSED (Connection refused)`: the errno name. */
  errno: string | undefined;
}

export type Action =
  | { kind: 'packet'; packet: PacketSpec }
  | { kind: 'syscall'; call: SyscallSpec }
  /** Valid packetdrill this runner does not execute; `what` names it. */
  | { kind: 'unsupported'; what: string };

export interface ScriptEvent {
  line: number;
  time: EventTime;
  action: Action;
  /** The event's source text (for messages). */
  text: string;
}

/** `--name=value` lines at the top of a script. */
export interface ScriptOption {
  line: number;
  name: string;
  value: string;
}

export interface Script {
  options: ScriptOption[];
  events: ScriptEvent[];
}

export interface ScriptSyntaxError {
  line: number;
  message: string;
}

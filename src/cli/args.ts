/**
 * A small option parser for the CLI's commands: `--name VALUE`, `--name=VALUE`, short aliases,
 * repeatable options, flags with an optional numeric value (`--stats [SECONDS]`), positional
 * arguments, and `--` after which everything is the COMMAND to run. Errors are one line.
 */

export interface OptionSpec {
  /** Long name without dashes. */
  name: string;
  short?: string;
  /** 'flag' takes no value; 'value' needs one; 'optional-number' may be followed by a number. */
  kind: 'flag' | 'value' | 'optional-number';
  repeat?: boolean;
}

export interface ParsedArgs {
  /** Last value per option ('' for flags), or every value for repeatable ones. */
  options: Map<string, string[]>;
  positional: string[];
  /** Words after `--`. */
  command: string[];
}

export function parseArgs(args: readonly string[], specs: readonly OptionSpec[]): ParsedArgs | string {
  const options = new Map<string, string[]>();
  const positional: string[] = [];
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short !== undefined).map((s) => [s.short!, s]));
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return { options, positional, command: args.slice(i + 1) };
    let spec: OptionSpec | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      if (eq >= 0) inline = arg.slice(eq + 1);
      spec = byLong.get(name);
      if (spec === undefined) return `unknown option --${name}`;
    } else if (arg.startsWith('-') && arg.length > 1) {
      spec = byShort.get(arg.slice(1, 2));
      if (spec === undefined) return `unknown option ${arg}`;
      if (arg.length > 2) inline = arg.slice(2);
    } else {
      positional.push(arg);
      continue;
    }
    let value = '';
    if (spec.kind === 'value') {
      if (inline !== undefined) value = inline;
      else if (i + 1 < args.length) value = args[++i]!;
      else return `--${spec.name} needs a value`;
    } else if (spec.kind === 'optional-number') {
      if (inline !== undefined) value = inline;
      else if (i + 1 < args.length && /^[0-9]+(\.[0-9]+)?$/.test(args[i + 1]!)) value = args[++i]!;
    } else if (inline !== undefined) {
      return `--${spec.name} takes no value`;
    }
    const prev = options.get(spec.name);
    if (prev !== undefined && spec.repeat) prev.push(value);
    else options.set(spec.name, [value]);
  }
  return { options, positional, command: [] };
}

/** The single value of an option, or undefined. */
export function one(p: ParsedArgs, name: string): string | undefined {
  const v = p.options.get(name);
  return v === undefined ? undefined : v[v.length - 1];
}

/** An integer option within [min, max]; the default when absent; a message when wrong. */
export function intOption(p: ParsedArgs, name: string, min: number, max: number, fallback: number): number | string {
  const v = one(p, name);
  if (v === undefined || v === '') return fallback;
  if (!/^[0-9]+$/.test(v)) return `--${name} '${v}' is not a number`;
  const n = Number(v);
  return n < min || n > max ? `--${name} ${n} is outside ${min}–${max}` : n;
}

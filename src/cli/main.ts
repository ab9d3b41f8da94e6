#!/usr/bin/env node
/**
 * The `usernet` command: a small dispatcher. Each command is one entry in `COMMANDS`, with a
 * one-line summary for `--help` and a function that returns the exit status.
 */

import { CommandIo, runDecode } from './decode';
import { runDemo } from './demo';
import { runNetns } from './netns';
import { runServe } from './serve';
import { runReplay } from './replay';
import { runScriptCommand } from './script';

interface Command {
  summary: string;
  run(args: readonly string[], io: CommandIo): number | Promise<number>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  decode: { summary: 'print the frames of a pcap/pcapng capture (tcpdump-like, or --json)', run: runDecode },
  demo: { summary: 'a namespace served by usernet: ping, nc and curl against its services and the host', run: runDemo },
  netns: { summary: 'serve a network namespace from user space (relay to the host, -p forwards) [-- COMMAND]', run: runNetns },
  serve: { summary: 'run usernet on a TAP device with echo, discard, chargen and http services', run: runServe },
  replay: { summary: 'play one endpoint of a capture with usernet and compare its answers (--as ADDRESS[:PORT])', run: runReplay },
  script: { summary: 'run a TCP script in packetdrill syntax against usernet (exit 0 when it passes)', run: runScriptCommand },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: usernet COMMAND [ARGS…]\n\ncommands:\n${lines.join('\n')}\n\n` +
    `usernet COMMAND --help shows a command's options.\n`;
}

/** Runs `usernet ARGS…`; returns the exit status. */
export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    (name === undefined ? io.err : io.out)(usage());
    return name === undefined ? 2 : 0;
  }
  const command = Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    io.err(`usernet: unknown command '${name}'\n${usage()}`);
    return 2;
  }
  return command.run(rest, io);
}

/** Process streams; a closed stdout (`usernet decode x.pcap | head`) ends quietly. */
const processIo: CommandIo = {
  out: (text) => {
    process.stdout.write(text);
  },
  err: (text) => {
    process.stderr.write(text);
  },
};

if (require.main === module) {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  main(process.argv.slice(2), processIo).then(
    (status) => {
      process.exitCode = status;
    },
    (e: unknown) => {
      process.stderr.write(`usernet: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}

#!/usr/bin/env node
/**
 * The livefr command line. Each command lives in lib/cli/commands/<name>.ts
 * and exports `run(argv: string[]): Promise<number>` (the exit code).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LivefrError, LivefrRangeError, LivefrTypeError } from '../errors.js';

interface CommandEntry {
  summary: string;
  load: () => Promise<CommandModule>;
}

type CommandModule = { run(argv: string[]): Promise<number> };

/** Commands are loaded on demand so `livefr detect` does not load the evaluator. */
function load(name: string): Promise<CommandModule> {
  return import(new URL(`./commands/${name}.js`, import.meta.url).href) as Promise<CommandModule>;
}

const COMMANDS: Record<string, CommandEntry> = {
  detect: { summary: 'find faces in images', load: () => load('detect') },
  enroll: { summary: 'build a watchlist from a folder of people', load: () => load('enroll') },
  match: { summary: 'match faces in images against a watchlist', load: () => load('match') },
  watch: { summary: 'live: watch video files and streams for watchlist faces', load: () => load('watch') },
  models: { summary: 'list, convert and verify the default models', load: () => load('models') },
  eval: { summary: 'measure accuracy: verify | identify | live', load: () => load('eval') },
  calibrate: { summary: 'threshold for a false-alert target and watchlist size', load: () => load('calibrate') },
  review: { summary: 'confirm or reject an alert (two people per alert by default)', load: () => load('review') },
  audit: { summary: 'verify an audit log (names the first bad record) | keygen', load: () => load('audit') },
  report: { summary: 'transparency figures of the deployments in an audit log [--html]', load: () => load('report') },
  deployment: { summary: 'status | authorise | refuse | end a deployment', load: () => load('deployment') },
  erase: { summary: "erase a person: watchlist file, evaluation cache, alert crops", load: () => load('erase') },
  rekey: { summary: 'rotate the AES-256 key of a watchlist file', load: () => load('rekey') },
  demo: { summary: 'run the demo on real faces with the default models', load: () => load('demo') },
  info: { summary: 'native build, CPU features and models', load: () => load('info') },
};

function help(): string {
  const lines = ['Usage: livefr <command> [options]', '', 'Commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(12)}${c.summary}`);
  lines.push('', 'Run `livefr <command> --help` for the options of a command; `livefr --version` for the version.');
  return lines.join('\n');
}

/** The package version (package.json beside dist/). */
function version(): string {
  const file = fileURLToPath(new URL('../../package.json', import.meta.url));
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V') {
    process.stdout.write(`livefr ${version()}\n`);
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return name ? 0 : 2;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    process.stderr.write(`livefr: unknown command '${name}'\n\n${help()}\n`);
    return 2;
  }
  try {
    const mod = await entry.load();
    return await mod.run(rest);
  } catch (err) {
    if (err instanceof LivefrTypeError || err instanceof LivefrRangeError || err instanceof LivefrError) {
      process.stderr.write(`livefr ${name}: ${err.message}\n`);
      return err instanceof LivefrError ? 1 : 2;
    }
    const sys = err as NodeJS.ErrnoException;
    if (typeof sys?.code === 'string' && typeof sys.syscall === 'string') {
      // A file-system error (missing file, no permission): the message names the path.
      process.stderr.write(`livefr ${name}: ${sys.message}\n`);
      return 1;
    }
    throw err;
  }
}

// `livefr ... | head` closes stdout early: stop quietly instead of crashing on EPIPE.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`livefr: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);

/**
 * A strict argument parser for the livefr CLI: unknown flags are errors,
 * every value is checked, and flags may also come from environment variables.
 */
import { LivefrRangeError, LivefrTypeError } from '../errors.js';

export interface FlagSpec {
  /** 'boolean' flags take no value; 'string' and 'number' take one. 'list' may repeat. */
  type: 'boolean' | 'string' | 'number' | 'list';
  /** Environment variable read when the flag is absent. */
  env?: string;
  default?: string | number | boolean;
  description: string;
}

export interface ParsedArgs {
  positional: string[];
  flags: Record<string, string | number | boolean | string[] | undefined>;
}

export class UsageError extends LivefrRangeError {
  constructor(parameter: string, message: string) {
    super(parameter, message);
  }
}

export function parseArgs(argv: string[], spec: Record<string, FlagSpec>): ParsedArgs {
  const positional: string[] = [];
  const flags: ParsedArgs['flags'] = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    let name = a.slice(2);
    let inline: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      inline = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    const s = spec[name];
    if (!s) throw new UsageError(`--${name}`, `Unknown option --${name} (known: ${Object.keys(spec).map((k) => '--' + k).join(', ')})`);
    if (s.type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`--${name}`, `Option --${name} takes no value`);
      flags[name] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${name}`, `Option --${name} expects a value`);
    if (s.type === 'list') {
      const prev = (flags[name] as string[] | undefined) ?? [];
      flags[name] = [...prev, value];
    } else flags[name] = s.type === 'number' ? toNumber(name, value) : value;
  }
  for (const [name, s] of Object.entries(spec)) {
    if (flags[name] !== undefined) continue;
    const fromEnv = s.env ? process.env[s.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== '') {
      flags[name] = s.type === 'number' ? toNumber(name, fromEnv, s.env) : s.type === 'boolean' ? fromEnv !== '0' : s.type === 'list' ? [fromEnv] : fromEnv;
    } else if (s.default !== undefined) flags[name] = s.default;
  }
  return { positional, flags };
}

function toNumber(name: string, value: string, env?: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) {
    throw new LivefrTypeError(`--${name}`, `Expected a number for --${name}${env ? ` (from ${env})` : ''} but received ${JSON.stringify(value)}`);
  }
  return n;
}

export function usage(command: string, synopsis: string, spec: Record<string, FlagSpec>): string {
  const lines = [`Usage: livefr ${command} ${synopsis}`, '', 'Options:'];
  for (const [name, s] of Object.entries(spec)) {
    const arg = s.type === 'boolean' ? '' : s.type === 'number' ? ' N' : ' VALUE';
    const extra = [s.env ? `env ${s.env}` : '', s.default !== undefined ? `default ${s.default}` : ''].filter(Boolean).join('; ');
    lines.push(`  --${name}${arg}`.padEnd(30) + s.description + (extra ? ` (${extra})` : ''));
  }
  return lines.join('\n');
}

import { buildInfo } from '../../native/index.js';
import { parseArgs, usage, type FlagSpec } from '../args.js';

const SPEC: Record<string, FlagSpec> = {
  json: { type: 'boolean', description: 'print JSON' },
  help: { type: 'boolean', description: 'show this help' },
};

export async function run(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv, SPEC);
  if (flags.help) {
    process.stdout.write(usage('info', '', SPEC) + '\n');
    return 0;
  }
  const info = { node: process.versions.node, platform: `${process.platform}-${process.arch}`, ...buildInfo() };
  process.stdout.write(flags.json ? JSON.stringify(info) + '\n' : JSON.stringify(info, null, 2) + '\n');
  return 0;
}

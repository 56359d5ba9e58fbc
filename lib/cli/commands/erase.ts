/**
 * livefr erase <watchlist-file> <id> [--audit LOG] [--cache DIR]... [--alerts LOG]...
 *
 * Erases one person: their templates and metadata leave the watchlist file
 * (rewritten, the old bytes zeroed), the embedding cache of `livefr eval`
 * loses their records, their alert crops are deleted. The audit log records
 * that an erasure happened and its counts, never who.
 */
import { existsSync } from 'node:fs';
import { erase } from '../../governance/index.js';
import { Watchlist } from '../../watchlist/index.js';
import { DEFAULT_CACHE_DIR } from '../../eval/embed.js';
import { parseArgs, usage, UsageError, type FlagSpec } from '../args.js';
import { GOVERNANCE_FLAGS, KEY_FLAGS, openGovernance, watchlistKeyOptions } from '../governance.js';
import { count } from '../format.js';

const SPEC: Record<string, FlagSpec> = {
  audit: GOVERNANCE_FLAGS.audit!,
  'audit-key': GOVERNANCE_FLAGS['audit-key']!,
  ...KEY_FLAGS,
  cache: { type: 'list', env: 'LIVEFR_CACHE', description: `embedding cache folder to purge (repeatable; default ${DEFAULT_CACHE_DIR} when it exists)` },
  alerts: { type: 'list', description: 'audit log whose alert crops of this person are deleted (repeatable; default --audit)' },
  json: { type: 'boolean', description: 'print the counts as JSON' },
  help: { type: 'boolean', description: 'show this help' },
};

export async function run(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv, SPEC);
  if (flags.help) {
    process.stdout.write(usage('erase', '<watchlist-file> <id>', SPEC) + '\n');
    return 0;
  }
  if (positional.length !== 2) throw new UsageError('arguments', 'Expected <watchlist-file> <id>');
  const [file, id] = positional as [string, string];
  const keyOpts = watchlistKeyOptions(flags, file);
  const caches = (flags.cache as string[] | undefined) ?? (existsSync(DEFAULT_CACHE_DIR) ? [DEFAULT_CACHE_DIR] : []);
  const gov = await openGovernance(flags);
  try {
    const watchlist = await Watchlist.load(file, keyOpts);
    const r = await erase(watchlist, id, {
      file,
      ...keyOpts,
      cacheDirs: caches,
      ...(flags.alerts !== undefined ? { alertLogs: flags.alerts as string[] } : {}),
      ...(gov.audit ? { audit: gov.audit } : {}),
    });
    await watchlist.close();
    if (flags.json) process.stdout.write(JSON.stringify(r) + '\n');
    else {
      process.stdout.write(
        `${r.people ? `erased ${JSON.stringify(id)} (${count(r.templates, 'template')}) from ${file}` : `${JSON.stringify(id)} was not on ${file}`}; ` +
          `${count(r.cacheRecords, 'cache record')} in ${count(r.cacheFiles, 'file')} and ${count(r.crops, 'alert crop')} removed\n`,
      );
    }
    return r.people || r.cacheRecords || r.crops ? 0 : 1;
  } finally {
    await gov.close();
  }
}

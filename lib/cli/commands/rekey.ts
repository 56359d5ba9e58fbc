/**
 * livefr rekey <watchlist-file> --new-key-file FILE [--key-file FILE] [--decrypt]
 *
 * Key rotation: re-encrypts a watchlist file under a new AES-256 key (or,
 * with --decrypt, stores it unencrypted), atomically, the old ciphertext's
 * bytes zeroed. The old key comes from --key-file or LIVEFR_WATCHLIST_KEY.
 */
import { Watchlist } from '../../watchlist/index.js';
import { parseArgs, usage, UsageError, type FlagSpec } from '../args.js';
import { KEY_FLAGS, watchlistKeyOptions } from '../governance.js';

const SPEC: Record<string, FlagSpec> = {
  ...KEY_FLAGS,
  'new-key-file': { type: 'string', description: 'the new AES-256 key (kept away from the file)' },
  decrypt: { type: 'boolean', description: 'store the file unencrypted instead' },
  help: { type: 'boolean', description: 'show this help' },
};

export async function run(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv, SPEC);
  if (flags.help) {
    process.stdout.write(usage('rekey', '<watchlist-file> --new-key-file FILE', SPEC) + '\n');
    return 0;
  }
  if (positional.length !== 1) throw new UsageError('arguments', 'Expected one <watchlist-file>');
  const file = positional[0]!;
  if ((flags['new-key-file'] === undefined) === !flags.decrypt) throw new UsageError('--new-key-file', 'Expected exactly one of --new-key-file FILE or --decrypt');
  const old = watchlistKeyOptions(flags, file);
  const next = flags.decrypt ? { key: null } : watchlistKeyOptions({ 'key-file': flags['new-key-file'] }, file);
  const r = await Watchlist.rekey(file, { ...old, newKey: next.key ?? null });
  process.stdout.write(`${file}: ${r.from ? `key ${r.from}` : 'unencrypted'} -> ${r.to ? `key ${r.to}` : 'unencrypted'}\n`);
  return 0;
}

/**
 * livefr audit verify <log> [--key PUBKEY]: checks the whole audit log (hash
 * chain, sequence numbers, head, and signatures under the given public key)
 * and names the first bad record. Exit 0 intact, 1 damaged, 2 usage.
 *
 * livefr audit keygen <prefix>: writes an Ed25519 key pair for signing a
 * log, <prefix>.key (private, mode 0600) and <prefix>.pub.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { keyIdOf, verifyAuditLog } from '../../governance/index.js';
import { parseArgs, usage, UsageError, type FlagSpec } from '../args.js';
import { count } from '../format.js';

const SPEC: Record<string, FlagSpec> = {
  key: { type: 'string', env: 'LIVEFR_AUDIT_PUBLIC_KEY', description: 'Ed25519 public key (PEM file, or 32 bytes as hex/base64) to check signatures with' },
  json: { type: 'boolean', description: 'print the result as one JSON line' },
  force: { type: 'boolean', description: 'keygen: overwrite existing key files' },
  help: { type: 'boolean', description: 'show this help' },
};

const SYNOPSIS = 'verify <log> [--key PUBKEY] [--json] | keygen <prefix>';

export async function run(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv, SPEC);
  const [sub, ...rest] = positional;
  if (flags.help || !sub) {
    process.stdout.write(usage('audit', SYNOPSIS, SPEC) + '\n');
    return flags.help ? 0 : 2;
  }
  if (sub === 'verify') {
    if (rest.length !== 1) throw new UsageError('log', 'Expected one audit log: livefr audit verify <log>');
    const r = verifyAuditLog(rest[0]!, flags.key !== undefined ? { publicKey: flags.key as string } : {});
    if (flags.json) {
      const { records, ...summary } = r;
      process.stdout.write(JSON.stringify({ ...summary, records: records.length }) + '\n');
    } else if (r.ok) {
      const sig = r.signed ? (r.signaturesChecked ? `, signatures verified (key ${r.keyId})` : `, signed (key ${r.keyId}) but signatures NOT checked: give --key`) : ', unsigned';
      process.stdout.write(`ok ${r.file}: ${count(r.records.length, 'record')} intact${sig}; last hash ${r.lastHash}\n`);
    } else {
      process.stdout.write(`FAIL ${r.file}: first bad record ${r.problem!.seq} (line ${r.problem!.line}): ${r.problem!.reason}\n`);
      process.stdout.write(`${count(r.records.length, 'record')} before it verified\n`);
    }
    return r.ok ? 0 : 1;
  }
  if (sub === 'keygen') {
    if (rest.length !== 1) throw new UsageError('prefix', 'Expected a file prefix: livefr audit keygen <prefix>');
    const prefix = rest[0]!;
    for (const f of [`${prefix}.key`, `${prefix}.pub`]) {
      if (existsSync(f) && !flags.force) throw new UsageError('prefix', `${f} exists; choose another prefix or add --force`);
    }
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    writeFileSync(`${prefix}.key`, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(`${prefix}.pub`, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
    process.stdout.write(`wrote ${prefix}.key (private: keep it off the machine that holds the log's copies) and ${prefix}.pub; key id ${keyIdOf(publicKey)}\n`);
    return 0;
  }
  throw new UsageError('command', `Unknown audit subcommand ${JSON.stringify(sub)} (verify, keygen)`);
}

// Child process for the audit log tests: appends `count` records (or forever
// with count 0) to a log, printing each acknowledged sequence number on
// stdout. argv: <log> <tag> <count> [signing-key-pem-file]
import { AuditLog } from '../../dist/governance/index.js';

const [file, tag, countText, keyFile] = process.argv.slice(2);
const count = Number(countText);
const log = AuditLog.open(file, keyFile ? { signingKey: keyFile } : {});
process.stdout.write(`ready\n`);
for (let i = 0; count === 0 || i < count; i++) {
  const r = log.append('test.record', { tag, i, text: 'x'.repeat(i % 300) });
  process.stdout.write(`${tag} ${i} ${r.seq}\n`);
}
log.close();

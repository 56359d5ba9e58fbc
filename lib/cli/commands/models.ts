/**
 * livefr models list | convert [name...|--defaults|--all] | verify [name...]
 *
 * Exit codes: 0 success; 1 a model is missing, stale, corrupt or does not
 * run (verify) or a conversion failed; 2 usage error.
 */
import { CATALOG, convertModel, ensureModels, licenceUse, listModels, shortLicence, verifyModel, type RegistryOptions } from '../../models/registry.js';
import { defaultModelNames } from '../../models/catalog.js';
import { parseArgs, usage, UsageError, type FlagSpec } from '../args.js';

const SPEC: Record<string, FlagSpec> = {
  defaults: { type: 'boolean', description: 'convert / verify the default models (and what they need)' },
  all: { type: 'boolean', description: 'convert / verify every model of the catalog' },
  force: { type: 'boolean', description: 'convert even when the model is present and current' },
  'no-run': { type: 'boolean', description: 'verify hashes only, do not run the models' },
  dir: { type: 'string', env: 'LIVEFR_MODELS_DIR', description: 'models folder' },
  json: { type: 'boolean', description: 'print JSON' },
  quiet: { type: 'boolean', description: 'no progress on stderr' },
  help: { type: 'boolean', description: 'show this help' },
};

const SYNOPSIS = 'list | convert [name...|--defaults|--all] [--force] | verify [name...|--all]';

function pickNames(sub: string, names: string[], flags: Record<string, unknown>): string[] {
  if (flags.all) return CATALOG.map((m) => m.name);
  if (names.length > 0) return names;
  if (flags.defaults || sub === 'convert') return defaultModelNames();
  return [];
}

export async function run(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv, SPEC);
  const [sub, ...names] = positional;
  if (flags.help || !sub) {
    process.stdout.write(usage('models', SYNOPSIS, SPEC) + '\n');
    return flags.help ? 0 : 2;
  }
  const opts: RegistryOptions = { progress: !flags.quiet };
  if (typeof flags.dir === 'string') opts.modelsDir = flags.dir;
  const out = (s: string) => process.stdout.write(s + '\n');

  if (sub === 'list') {
    if (names.length > 0) throw new UsageError('name', '`livefr models list` takes no model names');
    const rows = listModels({ ...opts, progress: false });
    // Licence awareness: what each licence allows (manifest, else the catalog), lib/models/licence.ts.
    const licenceOfRow = (r: (typeof rows)[number]) => {
      const spec = CATALOG.find((m) => m.name === r.name)!;
      const licence = r.manifest?.licence ?? spec.licence;
      return { licence, use: r.manifest?.use ?? spec.use ?? licenceUse(licence) };
    };
    if (flags.json) {
      out(JSON.stringify(rows.map(({ manifest, ...r }) => ({ ...r, sha256: manifest?.model.sha256, source: manifest?.source, ...licenceOfRow({ manifest, ...r }) }))));
      return 0;
    }
    out(`${'name'.padEnd(22)}${'task'.padEnd(11)}${'family'.padEnd(21)}${'state'.padEnd(9)}${'use'.padEnd(16)}${'licence'.padEnd(34)}source`);
    for (const r of rows) {
      const spec = CATALOG.find((m) => m.name === r.name)!;
      const src = r.manifest ? `${r.manifest.source.package}@${r.manifest.source.version}` : spec.source.package;
      const l = licenceOfRow(r);
      out(`${(r.name + (r.isDefault ? ' *' : '')).padEnd(22)}${r.task.padEnd(11)}${r.family.padEnd(21)}${r.state.padEnd(9)}${l.use.padEnd(16)}${shortLicence(l.licence).padEnd(34)}${src}${r.reason ? `  (${r.reason})` : ''}`);
    }
    out('* = default model (and what it needs)');
    out('use: commercial = the licence allows it; non-commercial = it does not; unverified = the package allows it but the weights\' origin is not stated (--json: full licence texts)');
    return 0;
  }

  if (sub === 'convert') {
    const list = pickNames(sub, names, flags);
    if (flags.force) {
      for (const n of list) await convertModel(n, opts);
      return 0;
    }
    const r = await ensureModels(list, opts);
    if (flags.json) out(JSON.stringify(r));
    return 0;
  }

  if (sub === 'verify') {
    let list = pickNames(sub, names, flags);
    // With no names: every model that is present, plus the defaults (missing defaults fail).
    if (list.length === 0) {
      const present = listModels({ ...opts, progress: false }).filter((r) => r.state !== 'missing').map((r) => r.name);
      list = [...new Set([...defaultModelNames(), ...present])];
    }
    let failed = 0;
    const results = [];
    for (const n of list) {
      const r = await verifyModel(n, { ...opts, progress: false, run: !flags['no-run'] });
      results.push(r);
      if (!r.ok) failed++;
      if (!flags.json) {
        const ran = r.ran ? `ran in ${r.ran.ms.toFixed(1)} ms, outputs ${r.ran.outputs.map((o) => `[${o.dims.join('x')}]`).join(' ')}` : '';
        out(`${r.ok ? 'ok  ' : 'FAIL'} ${n.padEnd(22)}${r.state.padEnd(9)}${ran}${r.problems.length ? ' ' + r.problems.join('; ') : ''}`);
      }
    }
    if (flags.json) out(JSON.stringify(results));
    return failed === 0 ? 0 : 1;
  }

  throw new UsageError('command', `Unknown models subcommand ${JSON.stringify(sub)} (list, convert, verify)`);
}

/**
 * livefr info: what this installation is made of: the package, Node, ONNX
 * Runtime and FAISS versions, the native binary in use (and why that one),
 * the CPU's SIMD level, and every model of the registry with its licence,
 * state and sha256. Human-readable by default, one JSON object with --json.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { buildInfo } from '../../native/index.js';
import { chooseNativeBinary } from '../../native/select.js';
import { bestSimdLevel, simdLevel } from '../../preprocess.js';
import { packageRoot } from '../../util/package-root.js';
import { watchlistBuildInfo } from '../../watchlist/index.js';
import { parseArgs, usage, UsageError, type FlagSpec } from '../args.js';

const SPEC: Record<string, FlagSpec> = {
  json: { type: 'boolean', description: 'print one JSON object' },
  help: { type: 'boolean', description: 'show this help' },
};

const require = createRequire(import.meta.url);
const version = (pkg: string): string | null => {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
};

export async function collectInfo() {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { name: string; version: string };
  const override = process.env.LIVEFR_NATIVE_PATH;
  const choice = override ? { path: override, kind: 'LIVEFR_NATIVE_PATH', reason: 'set in the environment' } : chooseNativeBinary(packageRoot);
  let record: Record<string, unknown> | null = null;
  try {
    if (choice.path) record = JSON.parse(readFileSync(path.join(path.dirname(choice.path), 'livefr.json'), 'utf8'));
  } catch {
    record = null;
  }
  const build = buildInfo();
  const index = watchlistBuildInfo();
  const { CATALOG, listModels, modelsDirectory } = await import('../../models/registry.js');
  const models = listModels().map((m) => {
    const spec = CATALOG.find((s) => s.name === m.name);
    return {
      name: m.name,
      task: m.task,
      family: m.family,
      default: m.isDefault,
      state: m.state,
      licence: m.manifest?.licence ?? spec?.licence ?? null,
      source: m.manifest ? `${m.manifest.source.package}@${m.manifest.source.version}` : (spec?.source.package ?? null),
      sha256: m.manifest?.model.sha256 ?? null,
      ...(m.reason ? { reason: m.reason } : {}),
    };
  });
  return {
    package: `${pkg.name}@${pkg.version}`,
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
    onnxruntime: version('onnxruntime-node'),
    onnxruntimeTelemetry: process.env.ORT_DISABLE_TELEMETRY === undefined || process.env.ORT_DISABLE_TELEMETRY === '1' ? 'off' : `ORT_DISABLE_TELEMETRY=${process.env.ORT_DISABLE_TELEMETRY}`,
    faiss: index.faiss,
    faissGpu: build.faissGpu,
    indexKinds: index.kinds,
    native: {
      path: choice.path,
      kind: choice.kind ?? null,
      reason: choice.reason,
      sources: (record?.sources as string | undefined) ?? null,
      built: (record?.built as string | undefined) ?? null,
    },
    simd: { level: simdLevel(), best: bestSimdLevel(), compiled: build.simdCompiled, cpu: build.cpu },
    modelsDirectory: modelsDirectory(),
    models,
  };
}

export async function run(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv, SPEC);
  if (flags.help) {
    process.stdout.write(usage('info', '[--json]', SPEC) + '\n');
    return 0;
  }
  if (positional.length > 0) throw new UsageError('arguments', `livefr info takes no arguments (received ${positional.join(' ')})`);
  const info = await collectInfo();
  if (flags.json) {
    process.stdout.write(JSON.stringify(info) + '\n');
    return 0;
  }
  const n = info.native;
  const lines = [
    `${info.package}  (Node ${info.node}, ${info.platform})`,
    `ONNX Runtime   ${info.onnxruntime ?? 'not installed'} (onnxruntime-node, CPU; telemetry ${info.onnxruntimeTelemetry})`,
    `FAISS          ${info.faiss ?? 'not compiled in'}${info.faissGpu ? ' (GPU)' : ''}; indexes ${info.indexKinds.join(', ') || 'none'}`,
    `native core    ${n.path ?? 'none'}`,
    `               ${n.kind ?? ''}${n.kind ? ': ' : ''}${n.reason}${n.sources ? `; sources ${n.sources.slice(0, 12)}` : ''}${n.built ? `, built ${n.built}` : ''}`,
    `SIMD           ${info.simd.level} in use (best for this CPU: ${info.simd.best}; AVX2 ${info.simd.cpu.avx2 ? 'yes' : 'no'}, AVX-512 ${info.simd.cpu.avx512 ? 'yes' : 'no'}${info.simd.compiled ? '' : '; SIMD kernels not compiled'})`,
    `models         ${info.modelsDirectory}`,
  ];
  const w = Math.max(...info.models.map((m) => m.name.length));
  const short = (l: string | null) => (l ?? 'licence unknown').split(/\. |; /)[0]!.replace(/\.$/, '');
  for (const m of info.models) {
    const state = m.state === 'missing' ? 'not converted' : m.state;
    lines.push(`  ${m.name.padEnd(w)}  ${m.task.padEnd(9)} ${m.default ? 'default ' : '        '}${state}${m.reason ? ` (${m.reason})` : ''}`);
    lines.push(`  ${''.padEnd(w)}  ${m.sha256 ? `sha256 ${m.sha256}, ` : ''}${short(m.licence)}`);
  }
  lines.push('(full licences and provenance: livefr info --json, docs/models.md)');
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

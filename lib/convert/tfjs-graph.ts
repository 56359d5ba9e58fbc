/**
 * TensorFlow.js graph model -> ONNX converter, in TypeScript (no Python, no
 * network). Reads `model.json` (a TF GraphDef as JSON + weightsManifest)
 * and its `.bin` shards, decodes float32 / int32 / uint8 / uint16 / float16
 * weights, folds constants and static shapes, folds BiasAdd, batch norm and
 * per-channel Add / Mul into the convolutions, and emits an NCHW ONNX graph
 * (opset 17) that ONNX Runtime runs. See docs/converter.md.
 *
 * Layout: the ONNX input of a rank-4 image placeholder is NCHW
 * [N, C, H, W] by default (`inputLayout: 'NHWC'` keeps TF's order).
 * Outputs are always in TF's logical order (NHWC for rank-4 outputs), so
 * they compare element for element with TFJS.
 */
import { ModelError, invalidType, outOfRange } from '../errors.js';
import { checkEnum, checkOptions } from '../validate.js';
import { attrType } from './graph/attrs.js';
import { ConvertContext, type Value } from './graph/context.js';
import { isHostBinary, isHostUnary, binaryHost, unaryHost } from './graph/host.js';
import { NN_OPS, type OpConverter } from './graph/ops-nn.js';
import { TENSOR_OPS } from './graph/ops-tensor.js';
import { inlineTensor, readGraphModel, type LoadedGraphModel, type TfNode } from './graph/weights.js';

export { readGraphModel, decodeWeight, halfToFloat } from './graph/weights.js';
export type { HostTensor, WeightEntry, LoadedGraphModel } from './graph/weights.js';
export { listGraphCandidates } from './graph/candidates.js';
export type { GraphCandidate } from './graph/candidates.js';

export interface GraphConvertOptions {
  /** TF-order input shape (e.g. [1, 128, 128, 3]); default: the model's, with unknown dims (batch) set to 1. */
  inputShape?: number[];
  /** Cut points: TF node names (optionally `name:k`) to expose as outputs instead of the model's outputs. */
  outputs?: string[];
  /** Layout of a rank-4 ONNX input: 'NCHW' (default) or 'NHWC' (TF's own order). */
  inputLayout?: 'NCHW' | 'NHWC';
  /**
   * Leave the batch dimension symbolic ('N'): one model for any batch size.
   * Models whose reshapes hard-code batch 1 refuse it with a ModelError.
   * Dims reported as -1 are the batch. Default false (batch fixed, 1 or inputShape[0]).
   */
  dynamicBatch?: boolean;
}

export interface GraphTensorInfo {
  /** ONNX tensor name. */
  name: string;
  /** The TF tensor it corresponds to. */
  tfName: string;
  /** ONNX dims. */
  dims: number[];
  layout: 'NCHW' | 'NHWC' | 'plain';
}

export interface ConvertedGraph {
  onnx: Uint8Array;
  inputs: GraphTensorInfo[];
  outputs: GraphTensorInfo[];
  /** What the converter did that a user may want to know (layouts, folds, cuts). */
  notes: string[];
  /** ONNX op histogram of the emitted graph. */
  opCounts: Record<string, number>;
}

const OPTION_KEYS = ['inputShape', 'outputs', 'inputLayout', 'dynamicBatch'] as const;

const CONVERTERS: Record<string, OpConverter> = { ...TENSOR_OPS, ...NN_OPS };
const PASS_THROUGH = new Set(['Identity', 'StopGradient', 'Snapshot', 'PreventGradient', 'EnsureShape']);
const NMS_OPS = new Set(['NonMaxSuppressionV2', 'NonMaxSuppressionV3', 'NonMaxSuppressionV4', 'NonMaxSuppressionV5']);

interface Ref {
  node: string;
  index: number;
}

function parseRef(ref: string): Ref | undefined {
  if (ref.startsWith('^')) return undefined;
  const m = /^(.*?)(?::(\d+))?$/.exec(ref)!;
  return { node: m[1]!, index: m[2] ? Number(m[2]) : 0 };
}

const key = (r: Ref) => `${r.node}:${r.index}`;

function validateOptions(opts: unknown): GraphConvertOptions {
  const o = checkOptions('options', opts, OPTION_KEYS);
  if (o.inputShape !== undefined) {
    if (!Array.isArray(o.inputShape) || o.inputShape.length === 0) throw invalidType('options.inputShape', 'a non-empty array of positive integers', o.inputShape);
    o.inputShape.forEach((d, i) => {
      if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > 65536) throw outOfRange(`options.inputShape[${i}]`, 'a positive integer', d);
    });
  }
  if (o.outputs !== undefined) {
    if (!Array.isArray(o.outputs) || o.outputs.length === 0) throw invalidType('options.outputs', 'a non-empty array of node names', o.outputs);
    o.outputs.forEach((n, i) => {
      if (typeof n !== 'string' || n.length === 0) throw invalidType(`options.outputs[${i}]`, 'a node name', n);
    });
  }
  if (o.inputLayout !== undefined) checkEnum('options.inputLayout', o.inputLayout, ['NCHW', 'NHWC'] as const);
  if (o.dynamicBatch !== undefined && typeof o.dynamicBatch !== 'boolean') throw invalidType('options.dynamicBatch', 'a boolean', o.dynamicBatch);
  return o as GraphConvertOptions;
}

/** The model's declared outputs (signature order), or the graph's sinks. */
function defaultOutputs(model: LoadedGraphModel, nodes: Map<string, TfNode>): string[] {
  const sig = model.json.signature ?? model.json.userDefinedMetadata?.signature;
  const named = Object.values(sig?.outputs ?? {}).map((o) => o.name);
  if (named.length && named.every((n) => nodes.has(parseRef(n)!.node))) return named;
  const consumed = new Set<string>();
  for (const n of nodes.values()) for (const i of n.input ?? []) consumed.add(parseRef(i)?.node ?? '');
  return [...nodes.values()].filter((n) => !consumed.has(n.name) && n.op !== 'Const' && n.op !== 'NoOp').map((n) => n.name);
}

/** ONNX dims: the dynamic batch (-1) becomes the symbol 'N'. */
function symbolic(dims: number[]): (number | string)[] {
  return dims.map((d) => (d < 0 ? 'N' : d));
}

function onnxName(tfName: string): string {
  return tfName.replace(/:0$/, '');
}

/**
 * Converts a TFJS graph model to ONNX.
 * @param modelJsonPath path to model.json (shards are read from its folder)
 */
export async function convertGraphModel(modelJsonPath: string, opts?: GraphConvertOptions): Promise<ConvertedGraph> {
  if (typeof modelJsonPath !== 'string' || modelJsonPath.length === 0) throw invalidType('modelJsonPath', 'a path to model.json', modelJsonPath);
  const options = validateOptions(opts);
  const model = readGraphModel(modelJsonPath);
  return convertLoaded(model, options);
}

/** Converts an already loaded model (see readGraphModel). */
export function convertLoaded(model: LoadedGraphModel, options: GraphConvertOptions = {}): ConvertedGraph {
  const nodes = indexNodes(model);
  const outputRefs = resolveOutputs(model, nodes, options);
  const order = topologicalOrder(model, nodes, outputRefs);
  const uses = countUses(order, outputRefs);
  const ctx = new ConvertContext(model.path.replace(/^.*[\\/]/, '').replace(/\.json$/, ''));
  const { values, inputs } = convertNodes(ctx, model, order, uses, options);
  const outputs = emitOutputs(ctx, nodes, values, outputRefs);
  const removed = ctx.g.prune();
  const notes = conversionNotes(ctx, inputs, options, removed);
  const opCounts = ctx.g.opCounts();
  const onnx = ctx.g.toBytes({ 'livefr.source': model.path.replace(/^.*node_modules[\\/]/, ''), 'livefr.converter': 'tfjs-graph' });
  return { onnx, inputs, outputs, notes, opCounts };
}

type OutputRef = { name: string; ref: Ref };

function indexNodes(model: LoadedGraphModel): Map<string, TfNode> {
  const nodes = new Map<string, TfNode>();
  for (const n of model.json.modelTopology.node) {
    if (typeof n?.name !== 'string' || typeof n.op !== 'string') throw new ModelError(`${model.path}: a graph node lacks a name or op`);
    nodes.set(n.name, n);
  }
  return nodes;
}

/** The outputs to convert: options.outputs (a cut) or the model's own. */
function resolveOutputs(model: LoadedGraphModel, nodes: Map<string, TfNode>, options: GraphConvertOptions): OutputRef[] {
  const outputRefs = (options.outputs ?? defaultOutputs(model, nodes)).map((name) => {
    const r = parseRef(name);
    if (!r || !nodes.has(r.node)) throw new ModelError(`Output ${JSON.stringify(name)} is not a node of ${model.path}`);
    return { name, ref: r };
  });
  if (outputRefs.length === 0) throw new ModelError(`${model.path} has no outputs`);
  return outputRefs;
}

/** Topological order of the nodes the outputs need (iterative DFS; a cycle is an error). */
function topologicalOrder(model: LoadedGraphModel, nodes: Map<string, TfNode>, outputRefs: readonly OutputRef[]): TfNode[] {
  const order: TfNode[] = [];
  const state = new Map<string, 1 | 2>();
  for (const { ref } of outputRefs) {
    const stack: { node: TfNode; next: number }[] = [{ node: nodes.get(ref.node)!, next: 0 }];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      if (top.next === 0) {
        if (state.get(top.node.name) === 2) {
          stack.pop();
          continue;
        }
        state.set(top.node.name, 1);
      }
      const inputs = (top.node.input ?? []).map(parseRef).filter((r): r is Ref => !!r);
      if (top.next < inputs.length) {
        const r = inputs[top.next++]!;
        const child = nodes.get(r.node);
        if (!child) throw new ModelError(`Node ${JSON.stringify(top.node.name)} reads ${JSON.stringify(r.node)}, which is not in ${model.path}`);
        const s = state.get(child.name);
        if (s === 1) throw new ModelError(`${model.path} has a cycle through ${JSON.stringify(child.name)} (control flow is not supported)`);
        if (s !== 2) stack.push({ node: child, next: 0 });
        continue;
      }
      state.set(top.node.name, 2);
      order.push(top.node);
      stack.pop();
    }
  }
  return order;
}

/** How many times each node output is read (the outputs count once each). */
function countUses(order: readonly TfNode[], outputRefs: readonly OutputRef[]): Map<string, number> {
  const uses = new Map<string, number>();
  for (const n of order) for (const i of n.input ?? []) {
    const r = parseRef(i);
    if (r) uses.set(key(r), (uses.get(key(r)) ?? 0) + 1);
  }
  for (const { ref } of outputRefs) uses.set(key(ref), (uses.get(key(ref)) ?? 0) + 1);
  return uses;
}

/** Converts every node in order; returns the value of each node output and the graph inputs. */
function convertNodes(
  ctx: ConvertContext,
  model: LoadedGraphModel,
  order: readonly TfNode[],
  uses: Map<string, number>,
  options: GraphConvertOptions,
): { values: Map<string, Value>; inputs: ConvertedGraph['inputs'] } {
  const values = new Map<string, Value>();
  const inputs: ConvertedGraph['inputs'] = [];
  for (const node of order) {
    ctx.node = node;
    const outKey = (i: number) => `${node.name}:${i}`;
    if (node.op === 'Const') {
      const t = model.weights.get(node.name) ?? inlineTensor(node);
      if (!t) throw new ModelError(`Const node ${JSON.stringify(node.name)} has no value in the weights manifest of ${model.path}`);
      values.set(outKey(0), { ...ctx.constValue(t), uses: uses.get(outKey(0)) ?? 0 });
      continue;
    }
    if (node.op === 'Placeholder') {
      const { value, input } = convertPlaceholder(ctx, node, options, inputs.length);
      inputs.push(input);
      values.set(outKey(0), { ...value, uses: uses.get(outKey(0)) ?? 0 });
      continue;
    }
    const ins = (node.input ?? []).map(parseRef).filter((r): r is Ref => !!r).map((r) => {
      const v = values.get(key(r));
      if (!v) throw new ModelError(`Node ${JSON.stringify(node.name)} reads output ${r.index} of ${JSON.stringify(r.node)}, which does not exist`);
      return v;
    });
    if (PASS_THROUGH.has(node.op)) {
      const v = ins[0];
      if (!v) throw ctx.err('needs an input');
      v.uses += (uses.get(outKey(0)) ?? 0) - 1;
      values.set(outKey(0), v);
      continue;
    }
    convertOp(ctx, model, node, ins).forEach((v, i) => {
      const count = uses.get(outKey(i)) ?? 0;
      if (ins.includes(v)) v.uses += count - 1;
      else v.uses = count;
      values.set(outKey(i), v);
    });
  }
  return { values, inputs };
}

/** A graph input: its shape (declared, or options.inputShape for the first), NCHW unless asked otherwise. */
function convertPlaceholder(
  ctx: ConvertContext,
  node: TfNode,
  options: GraphConvertOptions,
  index: number,
): { value: Value; input: ConvertedGraph['inputs'][number] } {
  if (attrType(node, 'dtype') && attrType(node, 'dtype') !== 'DT_FLOAT') throw ctx.err('only float32 inputs are supported');
  const declared = (node.attr?.shape?.shape?.dim ?? []).map((d) => Number(d.size ?? -1));
  let shape = declared.map((d) => (d < 0 ? 1 : d));
  if (options.inputShape && index === 0) {
    if (declared.length && options.inputShape.length !== declared.length) {
      throw outOfRange('options.inputShape', `${declared.length} dims (the model input ${node.name} is [${declared.join(',')}])`, options.inputShape);
    }
    shape = [...options.inputShape];
  }
  if (shape.length === 0) throw ctx.err('the input has no static shape: pass options.inputShape');
  if (options.dynamicBatch) shape[0] = -1;
  const nchw = shape.length === 4 && (options.inputLayout ?? 'NCHW') === 'NCHW';
  const dims = nchw ? [shape[0]!, shape[3]!, shape[1]!, shape[2]!] : shape;
  const name = ctx.g.input(onnxName(node.name), symbolic(dims));
  return {
    value: ctx.tensorValue(name, shape, nchw ? 'NCHW' : 'TF'),
    input: { name, tfName: node.name, dims, layout: nchw ? 'NCHW' : shape.length === 4 ? 'NHWC' : 'plain' },
  };
}

/** One op: folded on the host when every input is a constant, else converted to ONNX nodes. */
function convertOp(ctx: ConvertContext, model: LoadedGraphModel, node: TfNode, ins: Value[]): Value[] {
  if (NMS_OPS.has(node.op)) {
    throw ctx.err(`${node.op} is not converted: cut the graph before it (options.outputs) and run non-maximum suppression outside the model`);
  }
  if (ins.length > 0 && ins.every((v) => v.host) && (isHostBinary(node.op) || isHostUnary(node.op))) {
    return [ctx.constValue(ins.length === 2 ? binaryHost(node.op, ins[0]!.host!, ins[1]!.host!, ctx.where) : unaryHost(node.op, ins[0]!.host!))];
  }
  const conv = CONVERTERS[node.op];
  if (!conv) throw new ModelError(`Unsupported TensorFlow op ${node.op} at node ${JSON.stringify(node.name)} in ${model.path}`);
  const r = conv(ctx, ins);
  return Array.isArray(r) ? r : [r];
}

/** Names the ONNX outputs (constants become initialisers) in TF layout. */
function emitOutputs(ctx: ConvertContext, nodes: Map<string, TfNode>, values: Map<string, Value>, outputRefs: readonly OutputRef[]): ConvertedGraph['outputs'] {
  const outputs: ConvertedGraph['outputs'] = [];
  for (const { name, ref } of outputRefs) {
    ctx.node = nodes.get(ref.node)!;
    const v = values.get(key(ref));
    if (!v) throw new ModelError(`Output ${JSON.stringify(name)} does not exist`);
    const t = v.host ? ctx.operand(v, 'TF', false, `${name}/const`) : ctx.as(v, 'TF');
    const outName = onnxName(name);
    try {
      ctx.g.output(t, outName, symbolic(v.shape));
    } catch (err) {
      throw new ModelError(`Cannot name the ONNX output ${outName}: ${(err as Error).message}`, { cause: err });
    }
    outputs.push({ name: outName, tfName: name, dims: v.shape, layout: v.shape.length === 4 ? 'NHWC' : 'plain' });
  }
  return outputs;
}

/** What the conversion did, for the manifest and the user. */
function conversionNotes(ctx: ConvertContext, inputs: ConvertedGraph['inputs'], options: GraphConvertOptions, removed: number): string[] {
  const folds = ctx.notes.filter((n) => n.startsWith('folded')).length;
  const clips = ctx.notes.filter((n) => n.startsWith('fused Relu')).length;
  const prelus = ctx.notes.filter((n) => n.startsWith('fused relu(x)')).length;
  const notes: string[] = [];
  for (const i of inputs) {
    notes.push(i.layout === 'NCHW' ? `input ${i.name}: NCHW [${i.dims}] (the TF model takes NHWC; channels-first is transposed at the boundary)` : `input ${i.name}: ${i.layout} [${i.dims}]`);
  }
  if (options.outputs) notes.push(`graph cut at ${options.outputs.join(', ')}`);
  notes.push(`folded ${folds} BiasAdd/Add/Sub/Mul ops into Conv/Gemm; turned ${clips} Relu + Minimum pairs into Clip and ${prelus} written-out PReLUs into PRelu; removed ${removed} dead nodes`);
  notes.push('rank-4 outputs are NHWC (TF order), other outputs as in TF');
  return notes;
}

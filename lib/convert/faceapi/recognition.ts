/**
 * face-api's `face_recognition_model`: a dlib-style ResNet (29 conv layers)
 * giving a 128-d face descriptor from a 150x150 RGB crop.
 *
 * Structure (from the weight names and face-api's FaceRecognitionNet):
 * conv32_down (7x7/2 valid) -> maxpool 3/2 valid -> 3 residual blocks of 32
 * -> down-block to 64 + 3 blocks -> down to 128 + 2 -> down to 256 + 2 ->
 * down-block "conv256_down_out" -> mean over H, W -> fc (256 -> 128, no
 * bias). Each conv is followed by a per-channel affine "scale" layer
 * (x * weights + biases): folded here into the conv filter and bias,
 * W' = W * s, b' = b * s + t. A residual block is relu(conv2(relu(conv1(x))) + x);
 * a down-block's conv1 has stride 2 'valid', its shortcut is a 2x2/2 average
 * pool zero-padded in channels, and when the conv path is one pixel smaller
 * than the pool (odd sizes), face-api zero-pads it at the bottom/right.
 */
import { GraphBuilder } from '../onnx-builder.js';
import { Net, hwioToOihw, scaleFilters, type Value } from './layers.js';
import type { WeightMap } from './manifest.js';

export const RECOGNITION_INPUT = 150;

function convLayer(net: Net, wm: WeightMap, x: Value, prefix: string, stride: number, relu: boolean): Value {
  const fShape = wm.shapeOf(`${prefix}/conv/filters`);
  const [kh, kw, ci, co] = fShape as [number, number, number, number];
  const filters = hwioToOihw(wm.get(`${prefix}/conv/filters`, [kh, kw, ci, co]), fShape);
  const bias = wm.get(`${prefix}/conv/bias`, [co]);
  const s = wm.get(`${prefix}/scale/weights`, [co]);
  const t = wm.get(`${prefix}/scale/biases`, [co]);
  const w = scaleFilters(filters, co, s);
  const b = new Float32Array(co);
  for (let o = 0; o < co; o++) b[o] = bias[o]! * s[o]! + t[o]!;
  const y = net.conv(x, w, [co, ci, kh, kw], b, { stride, padding: stride === 1 ? 'same' : 'valid', name: prefix });
  return relu ? net.relu(y) : y;
}

function residual(net: Net, wm: WeightMap, x: Value, prefix: string): Value {
  const a = convLayer(net, wm, x, `${prefix}/conv1`, 1, true);
  const b = convLayer(net, wm, a, `${prefix}/conv2`, 1, false);
  return net.relu(net.add(b, x));
}

function residualDown(net: Net, wm: WeightMap, x: Value, prefix: string): Value {
  const a = convLayer(net, wm, x, `${prefix}/conv1`, 2, true);
  let b = convLayer(net, wm, a, `${prefix}/conv2`, 1, false);
  let pooled = net.pool('AveragePool', x, 2, 2);
  b = net.padEnd(b, 0, pooled.h - b.h, pooled.w - b.w);
  pooled = net.padEnd(pooled, b.c - pooled.c, 0, 0);
  return net.relu(net.add(pooled, b));
}

/** Builds the graph: input `input` [N,3,150,150], output `embedding` [N,128] (not normalised). */
export function buildRecognitionGraph(wm: WeightMap): GraphBuilder {
  const g = new GraphBuilder('faceapi_face_recognition');
  const net = new Net(g);
  let x = net.input('input', 3, RECOGNITION_INPUT, RECOGNITION_INPUT);
  x = convLayer(net, wm, x, 'conv32_down', 2, true);
  x = net.pool('MaxPool', x, 3, 2);
  for (const p of ['conv32_1', 'conv32_2', 'conv32_3']) x = residual(net, wm, x, p);
  x = residualDown(net, wm, x, 'conv64_down');
  for (const p of ['conv64_1', 'conv64_2', 'conv64_3']) x = residual(net, wm, x, p);
  x = residualDown(net, wm, x, 'conv128_down');
  for (const p of ['conv128_1', 'conv128_2']) x = residual(net, wm, x, p);
  x = residualDown(net, wm, x, 'conv256_down');
  for (const p of ['conv256_1', 'conv256_2']) x = residual(net, wm, x, p);
  x = residualDown(net, wm, x, 'conv256_down_out');
  const pooled = g.op('ReduceMean', [x.name], { axes: [2, 3], keepdims: 0 });
  const fc = wm.get('fc', [x.c, 128]);
  const y = g.op('MatMul', [pooled, g.constant('fc', { data: fc, dims: [x.c, 128] })]);
  g.output(y, 'embedding', ['N', 128]);
  return g;
}

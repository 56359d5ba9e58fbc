/**
 * face-api's 68-point landmark nets on a 112x112 RGB crop.
 *
 * `face_landmark_68_model`: 4 dense blocks (32, 64, 128, 256 channels), each
 * halving the size: out1 = relu(conv0(x)) (a plain 3x3/2 conv in block 0, a
 * depthwise-separable 3x3/2 elsewhere), then separable 3x3 convs
 * out2 = sep1(out1), out3 = sep2(relu(out1 + out2)),
 * out4 = sep3(relu(out1 + out2 + out3)), result relu(out1 + out2 + out3 + out4).
 * Then a 7x7/2 average pool (7x7 -> 1x1) and fc 256 -> 136.
 * `face_landmark_68_tiny_model`: 3 dense blocks of three convs (32, 64, 128),
 * 14x14/2 average pool, fc 128 -> 136.
 *
 * A separable conv is depthwise (no bias) then pointwise with bias, as
 * tf.separableConv2d + add. Output `landmarks` [N, 136]: x0, y0, x1, y1, ...
 * relative to the (square) 112x112 input, 0..1.
 */
import { GraphBuilder } from '../onnx-builder.js';
import { Net, depthwiseToOihw, hwioToOihw, type Value } from './layers.js';
import type { WeightMap } from './manifest.js';

export const LANDMARK_INPUT = 112;

function plainConv(net: Net, wm: WeightMap, x: Value, prefix: string, stride: number): Value {
  const shape = wm.shapeOf(`${prefix}/filters`);
  const [kh, kw, ci, co] = shape as [number, number, number, number];
  const w = hwioToOihw(wm.get(`${prefix}/filters`, shape), shape);
  return net.conv(x, w, [co, ci, kh, kw], wm.get(`${prefix}/bias`, [co]), { stride, padding: 'same', name: prefix });
}

function separable(net: Net, wm: WeightMap, x: Value, prefix: string, stride: number): Value {
  const dShape = wm.shapeOf(`${prefix}/depthwise_filter`);
  const [kh, kw, c] = dShape as [number, number, number, number];
  const d = depthwiseToOihw(wm.get(`${prefix}/depthwise_filter`, dShape), dShape);
  const y = net.conv(x, d, [c, 1, kh, kw], null, { stride, padding: 'same', group: c, name: `${prefix}/depthwise` });
  const pShape = wm.shapeOf(`${prefix}/pointwise_filter`);
  const co = pShape[3]!;
  const p = hwioToOihw(wm.get(`${prefix}/pointwise_filter`, [1, 1, c, co]), pShape);
  return net.conv(y, p, [co, c, 1, 1], wm.get(`${prefix}/bias`, [co]), { stride: 1, padding: 'same', name: `${prefix}/pointwise` });
}

function denseBlock(net: Net, wm: WeightMap, x: Value, prefix: string, convs: number, first: boolean): Value {
  const out1 = net.relu(first ? plainConv(net, wm, x, `${prefix}/conv0`, 2) : separable(net, wm, x, `${prefix}/conv0`, 2));
  let sum = out1;
  for (let i = 1; i < convs; i++) {
    const input = i === 1 ? out1 : net.relu(sum);
    const out = separable(net, wm, input, `${prefix}/conv${i}`, 1);
    sum = net.add(sum, out);
  }
  return net.relu(sum);
}

/** Builds the graph: input `input` [N,3,112,112] ((RGB - mean) / 255), output `landmarks` [N,136]. */
export function buildLandmarkGraph(wm: WeightMap, tiny: boolean): GraphBuilder {
  const g = new GraphBuilder(tiny ? 'faceapi_face_landmark_68_tiny' : 'faceapi_face_landmark_68');
  const net = new Net(g);
  let x = net.input('input', 3, LANDMARK_INPUT, LANDMARK_INPUT);
  const blocks = tiny ? 3 : 4;
  for (let i = 0; i < blocks; i++) x = denseBlock(net, wm, x, `dense${i}`, tiny ? 3 : 4, i === 0);
  x = net.pool('AveragePool', x, tiny ? 14 : 7, 2);
  const flat = g.op('Flatten', [x.name], { axis: 1 });
  const dim = x.c * x.h * x.w;
  const w = wm.get('fc/weights', [dim, 136]);
  const b = wm.get('fc/bias', [136]);
  const y = g.op('Gemm', [flat, g.constant('fc/W', { data: w, dims: [dim, 136] }), g.constant('fc/B', { data: b, dims: [136] })]);
  g.output(y, 'landmarks', ['N', 136]);
  return g;
}

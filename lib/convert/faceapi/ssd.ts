/**
 * face-api's `ssd_mobilenetv1_model`: the TensorFlow Object Detection API
 * SSD with a MobileNetV1 backbone, trained for one class (face), 512x512.
 *
 * Backbone: Conv2d_0 (3x3/2, relu6) then 13 depthwise-separable pairs
 * (depthwise 3x3 + batch norm + relu6, pointwise 1x1 + folded-BN offset +
 * relu6; stride 2 at pairs 2, 4, 6, 12). Extra layers Prediction/Conv2d_0..7
 * (1x1 then 3x3/2, relu6). Six box predictors (1x1 convs) on Conv2d_11
 * (32x32, 3 anchors), Conv2d_13 (16x16, 6), and the extra layers at 8, 4,
 * 2, 1 (6 anchors each): 5118 anchors in all. TF 'same' padding is made
 * explicit (for stride 2 on even sizes TF pads only at the bottom/right).
 * Batch norm is folded into the depthwise filter and a bias:
 * k = gamma / sqrt(var + 0.001), W' = W * k, b' = beta - mean * k.
 *
 * Outputs (decode outside the graph, see decodeSsdBoxes):
 * - `box_encodings` [N, 5118, 4]: (ty, tx, th, tw) relative to the anchors;
 * - `scores` [N, 5118]: sigmoid of the face-class logit.
 */
import { GraphBuilder } from '../onnx-builder.js';
import { ModelError } from '../../errors.js';
import { Net, depthwiseToOihw, hwioToOihw, type Value } from './layers.js';
import type { WeightMap } from './manifest.js';

export const SSD_INPUT = 512;
export const SSD_ANCHORS = 5118;
/** face-api's batch-norm epsilon (tf.float32(0.001)). */
const BN_EPSILON = 0.0010000000474974513;

function pointwise(net: Net, wm: WeightMap, x: Value, prefix: string, stride: number): Value {
  const shape = wm.shapeOf(`${prefix}/weights`);
  const [kh, kw, ci, co] = shape as [number, number, number, number];
  const w = hwioToOihw(wm.get(`${prefix}/weights`, shape), shape);
  const b = wm.get(`${prefix}/convolution_bn_offset`, [co]);
  return net.relu6(net.conv(x, w, [co, ci, kh, kw], b, { stride, padding: 'same', name: prefix }));
}

function depthwise(net: Net, wm: WeightMap, x: Value, prefix: string, stride: number): Value {
  const shape = wm.shapeOf(`${prefix}/depthwise_weights`);
  const [kh, kw, c] = shape as [number, number, number, number];
  const w = depthwiseToOihw(wm.get(`${prefix}/depthwise_weights`, shape), shape);
  const gamma = wm.get(`${prefix}/BatchNorm/gamma`, [c]);
  const beta = wm.get(`${prefix}/BatchNorm/beta`, [c]);
  const mean = wm.get(`${prefix}/BatchNorm/moving_mean`, [c]);
  const variance = wm.get(`${prefix}/BatchNorm/moving_variance`, [c]);
  const per = kh * kw;
  const b = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    const k = Math.fround(gamma[i]! / Math.sqrt(variance[i]! + BN_EPSILON));
    for (let j = 0; j < per; j++) w[i * per + j] = w[i * per + j]! * k;
    b[i] = beta[i]! - mean[i]! * k;
  }
  return net.relu6(net.conv(x, w, [c, 1, kh, kw], b, { stride, padding: 'same', group: c, name: prefix }));
}

function predictor(net: Net, wm: WeightMap, x: Value, prefix: string, k: number): string {
  const shape = wm.shapeOf(`${prefix}/weights`);
  const [kh, kw, ci, co] = shape as [number, number, number, number];
  const w = hwioToOihw(wm.get(`${prefix}/weights`, shape), shape);
  const b = wm.get(`${prefix}/biases`, [co]);
  return net.toRows(net.conv(x, w, [co, ci, kh, kw], b, { stride: 1, padding: 'same', name: prefix }), k);
}

/** Builds the graph: input `input` [N,3,512,512] ((RGB - 127.5) / 127.5), outputs `box_encodings`, `scores`. */
export function buildSsdGraph(wm: WeightMap): GraphBuilder {
  const g = new GraphBuilder('faceapi_ssd_mobilenetv1');
  const net = new Net(g);
  let x = net.input('input', 3, SSD_INPUT, SSD_INPUT);
  x = pointwise(net, wm, x, 'MobilenetV1/Conv2d_0_pointwise', 2);
  let conv11: Value | undefined;
  for (let i = 1; i <= 13; i++) {
    const stride = [2, 4, 6, 12].includes(i) ? 2 : 1;
    x = depthwise(net, wm, x, `MobilenetV1/Conv2d_${i}_depthwise`, stride);
    x = pointwise(net, wm, x, `MobilenetV1/Conv2d_${i}_pointwise`, 1);
    if (i === 11) conv11 = x;
  }
  const extra: Value[] = [];
  let y = x;
  for (let i = 0; i < 8; i++) {
    y = pointwise(net, wm, y, `Prediction/Conv2d_${i}_pointwise`, i % 2 === 1 ? 2 : 1);
    if (i % 2 === 1) extra.push(y);
  }
  const maps = [conv11!, x, ...extra];
  const boxes: string[] = [];
  const classes: string[] = [];
  maps.forEach((m, i) => {
    boxes.push(predictor(net, wm, m, `Prediction/BoxPredictor_${i}/BoxEncodingPredictor`, 4));
    classes.push(predictor(net, wm, m, `Prediction/BoxPredictor_${i}/ClassPredictor`, 3));
  });
  const anchors = maps.reduce((a, m, i) => a + m.h * m.w * (i === 0 ? 3 : 6), 0);
  if (anchors !== SSD_ANCHORS) throw new ModelError(`SSD graph has ${anchors} anchors, expected ${SSD_ANCHORS}`);
  const enc = g.op('Concat', boxes, { axis: 1 });
  const logits = g.op('Concat', classes, { axis: 1 });
  // Class 0 is background; face-api takes sigmoid(logit of class 1).
  const face = g.op('Slice', [logits, g.ints('starts', [1]), g.ints('ends', [2]), g.ints('axes', [2])]);
  const scores = g.op('Sigmoid', [g.op('Squeeze', [face, g.ints('axes', [2])])]);
  g.output(enc, 'box_encodings', ['N', SSD_ANCHORS, 4]);
  g.output(scores, 'scores', ['N', SSD_ANCHORS]);
  return g;
}

/**
 * The SSD anchors as [ymin, xmin, ymax, xmax] (normalised), SSD_ANCHORS x 4,
 * generated with the TF Object Detection API's multiple-grid anchor
 * generator in the configuration this model was trained with: 6 layers,
 * scales s_i linearly from 0.2 to 0.95 (s_6 = 1); per cell, in this order:
 * (s_i, 1), (sqrt(s_i * s_{i+1}), 1), (s_i, 2), (s_i, 0.5), (s_i, 3),
 * (s_i, 0.3333) as (scale, aspect ratio), height = scale / sqrt(ratio),
 * width = scale * sqrt(ratio); the first layer uses (0.1, 1), (s, 2),
 * (s, 0.5) ("reduce_boxes_in_lowest_layer"). Cells in row-major order,
 * centres at (i + 0.5) / size. The model also ships them
 * (Output/extra_dim); the order was read from there, and the conversion
 * test checks the two agree.
 */
export function generateSsdAnchors(): Float32Array {
  const sizes = [32, 16, 8, 4, 2, 1];
  const minScale = 0.2;
  const maxScale = 0.95;
  const n = sizes.length;
  const scales = Array.from({ length: n }, (_, i) => minScale + ((maxScale - minScale) * i) / (n - 1)).concat(1);
  const out = new Float32Array(SSD_ANCHORS * 4);
  let o = 0;
  sizes.forEach((size, layer) => {
    const s = scales[layer]!;
    const boxes: [number, number][] =
      layer === 0
        ? [
            [0.1, 1],
            [s, 2],
            [s, 0.5],
          ]
        : [
            [s, 1],
            [Math.sqrt(s * scales[layer + 1]!), 1],
            [s, 2],
            [s, 0.5],
            [s, 3],
            [s, 0.3333],
          ];
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const cy = (y + 0.5) / size;
        const cx = (x + 0.5) / size;
        for (const [scale, ratio] of boxes) {
          const r = Math.sqrt(ratio);
          const h = scale / r;
          const w = scale * r;
          out[o++] = cy - h / 2;
          out[o++] = cx - w / 2;
          out[o++] = cy + h / 2;
          out[o++] = cx + w / 2;
        }
      }
    }
  });
  return out;
}

/**
 * Decodes box encodings against anchors as face-api does (variances 10, 10,
 * 5, 5): returns [ymin, xmin, ymax, xmax] per anchor, normalised to the
 * 512x512 input. `out` may be passed to reuse memory.
 */
export function decodeSsdBoxes(encodings: Float32Array, anchors: Float32Array, out?: Float32Array): Float32Array {
  const n = anchors.length / 4;
  const res = out ?? new Float32Array(n * 4);
  for (let i = 0; i < n; i++) {
    const a = i * 4;
    const ah = anchors[a + 2]! - anchors[a]!;
    const aw = anchors[a + 3]! - anchors[a + 1]!;
    const acy = anchors[a]! + ah / 2;
    const acx = anchors[a + 1]! + aw / 2;
    const cy = (encodings[a]! / 10) * ah + acy;
    const cx = (encodings[a + 1]! / 10) * aw + acx;
    const h2 = (Math.exp(encodings[a + 2]! / 5) * ah) / 2;
    const w2 = (Math.exp(encodings[a + 3]! / 5) * aw) / 2;
    res[a] = cy - h2;
    res[a + 1] = cx - w2;
    res[a + 2] = cy + h2;
    res[a + 3] = cx + w2;
  }
  return res;
}

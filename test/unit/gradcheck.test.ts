/**
 * Finite-difference checks of every gradient rule on one-node models: for random directions v,
 * (S(x + hv) − S(x − hv)) / 2h must equal ⟨∇S, v⟩, with S = Σ w ⊙ y for a random weighting w.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { Engine } from '../../src/engine/engine';
import { attr } from '../../src/engine/ir/graph';
import { ConstTensor } from '../../src/engine/ir/tensor';
import { oneNodeModel, randn, rng, type OneNodeSpec } from './onenode';

const engine = new Engine({ threads: 1 });
after(() => engine.dispose());

const next = rng(7);
const c = (dims: number[], scale = 1) => ConstTensor.float32(dims, randn(dims.reduce((a, b) => a * b, 1), next).map((v) => v * scale));
const ci = (v: number[]) => ConstTensor.int64([v.length], v);
const cs = (v: number) => ConstTensor.float32([], [v]);
/** Inputs kept at least 0.05 away from 0 so piecewise-linear ops are not probed across a kink. */
const awayFromZero = (x: Float32Array) => x.map((v) => Math.sign(v) * (0.05 + Math.abs(v)));

interface Case extends OneNodeSpec { name: string; kinks?: boolean; tol?: number }

const X4 = [2, 4, 7, 7];
const cases: Case[] = [
  { name: 'Conv 3x3 pad 1', op: 'Conv', inputs: ['x', 'w', 'b'], consts: { w: c([5, 4, 3, 3]), b: c([5]) }, attrs: { pads: attr.ints([1, 1, 1, 1]) }, inputShape: X4 },
  { name: 'Conv stride 2 asymmetric pads', op: 'Conv', inputs: ['x', 'w'], consts: { w: c([3, 4, 3, 3]) }, attrs: { strides: attr.ints([2, 2]), pads: attr.ints([0, 1, 1, 0]) }, inputShape: X4 },
  { name: 'Conv dilation 2', op: 'Conv', inputs: ['x', 'w'], consts: { w: c([3, 4, 3, 3]) }, attrs: { dilations: attr.ints([2, 2]), pads: attr.ints([2, 2, 2, 2]) }, inputShape: X4 },
  { name: 'Conv grouped', op: 'Conv', inputs: ['x', 'w'], consts: { w: c([6, 2, 3, 3]) }, attrs: { group: attr.i(2), pads: attr.ints([1, 1, 1, 1]) }, inputShape: X4 },
  { name: 'Conv depthwise stride 2 SAME_UPPER', op: 'Conv', inputs: ['x', 'w'], consts: { w: c([4, 1, 3, 3]) }, attrs: { group: attr.i(4), strides: attr.ints([2, 2]), auto_pad: attr.s('SAME_UPPER') }, inputShape: X4 },
  { name: 'Conv 1-D', op: 'Conv', inputs: ['x', 'w'], consts: { w: c([3, 4, 3]) }, attrs: { pads: attr.ints([1, 1]) }, inputShape: [2, 4, 9] },
  { name: 'Gemm transB', op: 'Gemm', inputs: ['x', 'w', 'b'], consts: { w: c([5, 6]), b: c([5]) }, attrs: { transB: attr.i(1), alpha: attr.f(0.7) }, inputShape: [3, 6] },
  { name: 'Gemm transA', op: 'Gemm', inputs: ['x', 'w'], consts: { w: c([3, 5]) }, attrs: { transA: attr.i(1) }, inputShape: [3, 4] },
  { name: 'MatMul constant', op: 'MatMul', inputs: ['x', 'w'], consts: { w: c([6, 5]) }, inputShape: [2, 3, 6] },
  { name: 'MatMul x·xᵀ-free square', op: 'MatMul', inputs: ['x', 'x'], inputShape: [2, 4, 4] },
  { name: 'BatchNormalization', op: 'BatchNormalization', inputs: ['x', 's', 'bb', 'm', 'v'], consts: { s: c([4]), bb: c([4]), m: c([4]), v: ConstTensor.float32([4], [0.5, 1, 2, 3]) }, inputShape: X4 },
  { name: 'AveragePool pads, exclude pad', op: 'AveragePool', inputs: ['x'], attrs: { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]) }, inputShape: X4 },
  { name: 'AveragePool ceil, include pad', op: 'AveragePool', inputs: ['x'], attrs: { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]), count_include_pad: attr.i(1), pads: attr.ints([1, 1, 0, 0]) }, inputShape: X4 },
  { name: 'GlobalAveragePool', op: 'GlobalAveragePool', inputs: ['x'], inputShape: X4 },
  { name: 'ReduceMean spatial', op: 'ReduceMean', inputs: ['x'], attrs: { axes: attr.ints([2, 3]), keepdims: attr.i(0) }, inputShape: X4 },
  { name: 'MaxPool overlapping 3/2/1', op: 'MaxPool', inputs: ['x'], attrs: { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]) }, inputShape: X4, kinks: true },
  { name: 'MaxPool ceil_mode', op: 'MaxPool', inputs: ['x'], attrs: { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]), ceil_mode: attr.i(1) }, inputShape: X4, kinks: true },
  { name: 'GlobalMaxPool', op: 'GlobalMaxPool', inputs: ['x'], inputShape: X4, kinks: true },
  { name: 'Add broadcast constant', op: 'Add', inputs: ['x', 'k'], consts: { k: c([4, 1, 1]) }, inputShape: X4 },
  { name: 'Add x + x', op: 'Add', inputs: ['x', 'x'], inputShape: X4 },
  { name: 'Sub constant − x', op: 'Sub', inputs: ['k', 'x'], consts: { k: c([7]) }, inputShape: X4 },
  { name: 'Mul x · x', op: 'Mul', inputs: ['x', 'x'], inputShape: X4 },
  { name: 'Mul broadcast constant', op: 'Mul', inputs: ['x', 'k'], consts: { k: c([1, 4, 1, 1]) }, inputShape: X4 },
  { name: 'Div constant / x', op: 'Div', inputs: ['k', 'x'], consts: { k: c([1]) }, inputShape: X4, kinks: true },
  { name: 'Div x / constant', op: 'Div', inputs: ['x', 'k'], consts: { k: ConstTensor.float32([1], [2.5]) }, inputShape: X4 },
  { name: 'Relu', op: 'Relu', inputs: ['x'], inputShape: X4, kinks: true },
  { name: 'Clip 0..0.5 (ReLU6-like)', op: 'Clip', inputs: ['x', 'lo', 'hi'], consts: { lo: cs(0), hi: cs(0.5) }, inputShape: X4, kinks: true },
  { name: 'LeakyRelu', op: 'LeakyRelu', inputs: ['x'], attrs: { alpha: attr.f(0.2) }, inputShape: X4, kinks: true },
  { name: 'PRelu', op: 'PRelu', inputs: ['x', 's'], consts: { s: ConstTensor.float32([4, 1, 1], [0.1, 0.2, 0.3, 0.4]) }, inputShape: X4, kinks: true },
  { name: 'Sigmoid', op: 'Sigmoid', inputs: ['x'], inputShape: X4 },
  { name: 'Tanh', op: 'Tanh', inputs: ['x'], inputShape: X4 },
  { name: 'HardSigmoid', op: 'HardSigmoid', inputs: ['x'], attrs: { alpha: attr.f(1 / 6), beta: attr.f(0.5) }, inputShape: X4, kinks: true },
  { name: 'HardSwish', op: 'HardSwish', inputs: ['x'], inputShape: X4, kinks: true },
  { name: 'Softmax', op: 'Softmax', inputs: ['x'], attrs: { axis: attr.i(1) }, inputShape: [3, 6] },
  { name: 'LogSoftmax', op: 'LogSoftmax', inputs: ['x'], attrs: { axis: attr.i(-1) }, inputShape: [3, 6] },
  { name: 'LRN', op: 'LRN', inputs: ['x'], attrs: { size: attr.i(3), alpha: attr.f(0.5), beta: attr.f(0.75), bias: attr.f(1) }, inputShape: X4 },
  { name: 'Reshape', op: 'Reshape', inputs: ['x', 'shape'], consts: { shape: ci([2, -1]) }, inputShape: X4 },
  { name: 'Flatten', op: 'Flatten', inputs: ['x'], attrs: { axis: attr.i(1) }, inputShape: X4 },
  { name: 'Squeeze', op: 'Squeeze', inputs: ['x', 'axes'], consts: { axes: ci([2]) }, inputShape: [2, 4, 1, 7] },
  { name: 'Unsqueeze', op: 'Unsqueeze', inputs: ['x', 'axes'], consts: { axes: ci([1]) }, inputShape: [2, 4, 7] },
  { name: 'Transpose', op: 'Transpose', inputs: ['x'], attrs: { perm: attr.ints([0, 2, 3, 1]) }, inputShape: X4 },
  { name: 'Concat x, x', op: 'Concat', inputs: ['x', 'x'], attrs: { axis: attr.i(1) }, inputShape: X4 },
  { name: 'Split', op: 'Split', inputs: ['x', 'split'], consts: { split: ci([1, 3]) }, attrs: { axis: attr.i(1) }, inputShape: X4, outputs: 2 },
  { name: 'Slice', op: 'Slice', inputs: ['x', 'st', 'en', 'ax'], consts: { st: ci([1, -5]), en: ci([3, 100]), ax: ci([1, 3]) }, inputShape: X4 },
  { name: 'Pad', op: 'Pad', inputs: ['x', 'pads'], consts: { pads: ci([0, 0, 1, 2, 0, 1, 0, 1]) }, inputShape: X4 },
  { name: 'Identity', op: 'Identity', inputs: ['x'], inputShape: X4 },
  { name: 'Dropout (inference)', op: 'Dropout', inputs: ['x'], inputShape: X4 },
  { name: 'Cast float→float', op: 'Cast', inputs: ['x'], attrs: { to: attr.i(1) }, inputShape: X4 },
];

export const CHECKED_OPS = new Set(cases.map((k) => k.op));

for (const k of cases) {
  test(`gradient of ${k.name} matches finite differences`, async () => {
    const file = oneNodeModel(k);
    const model = engine.open(file);
    const n = k.inputShape.reduce((a, b) => a * b, 1);
    let x = randn(n, next);
    if (k.kinks) x = awayFromZero(x);
    const input = { data: x, dims: k.inputShape };
    const y = (await engine.forward(model, input)).y0;
    const w = randn(y.data.length, next);
    const target = { kind: 'weights' as const, tensor: 'y0', weights: { data: w, dims: y.dims } };
    const grad = (await engine.explain({ model, input, method: 'gradient', target })).relevance.data;
    const S = async (d: Float32Array) => {
      const out = (await engine.forward(model, { data: d, dims: k.inputShape })).y0.data;
      let s = 0;
      for (let i = 0; i < out.length; i++) s += out[i] * w[i];
      return s;
    };
    // Larger steps where no kink can be crossed: float32 rounding in S, not truncation, limits the accuracy.
    const h = k.kinks ? 1e-3 : 1e-2;
    for (let trial = 0; trial < 3; trial++) {
      const v = randn(n, next);
      const plus = x.map((xi, i) => xi + h * v[i]);
      const minus = x.map((xi, i) => xi - h * v[i]);
      const fd = ((await S(plus)) - (await S(minus))) / (2 * h);
      let an = 0;
      for (let i = 0; i < n; i++) an += grad[i] * v[i];
      const scale = Math.max(Math.abs(fd), Math.abs(an), 1e-3);
      assert.ok(Math.abs(fd - an) / scale < (k.tol ?? 5e-3), `direction ${trial}: finite difference ${fd} vs ⟨∇S, v⟩ ${an}`);
    }
  });
}

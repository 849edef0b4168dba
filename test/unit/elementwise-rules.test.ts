/**
 * The non-gradient rules of the elementwise and reduction ops against their definitions, computed here in TS on
 * the same numbers: guided/deconvnet through Gelu, LRP shares through ReduceSum/ReduceL2/ReduceLogSumExp, and
 * relevance conservation (ε → 0) through every op that should conserve it.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { Engine } from '../../src/engine/engine';
import { attr } from '../../src/engine/ir/graph';
import { c, ci, cs } from './gradcheck';
import { oneNodeModel, randn, rng, type OneNodeSpec } from './onenode';
import { relativeError } from './helpers';

const engine = new Engine({ threads: 1 });
after(() => engine.dispose());
const next = rng(11);

async function run(spec: OneNodeSpec, method: string, x: Float32Array, params: Record<string, number> = {}) {
  const model = engine.open(oneNodeModel(spec));
  const input = { data: x, dims: spec.inputShape };
  const y = (await engine.forward(model, input)).y0;
  const w = randn(y.data.length, next);
  const target = { kind: 'weights' as const, tensor: 'y0', weights: { data: w, dims: y.dims } };
  const relevance = (await engine.explain({ model, input, method, target, params })).relevance.data;
  return { y: y.data, w, relevance };
}

/** erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7). */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const p = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return Math.sign(x) * (1 - p * Math.exp(-x * x));
}

const geluSlope = {
  none: (x: number) => 0.5 * (1 + erf(x / Math.SQRT2)) + (x * Math.exp(-x * x / 2)) / Math.sqrt(2 * Math.PI),
  tanh: (x: number) => {
    const k = Math.sqrt(2 / Math.PI);
    const t = Math.tanh(k * (x + 0.044715 * x ** 3));
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x);
  },
};

for (const approximate of ['none', 'tanh'] as const) {
  test(`guided backprop and deconvnet through Gelu (${approximate}) are [δ]⁺·f'(x) and [δ]⁺`, async () => {
    const spec: OneNodeSpec = { op: 'Gelu', inputs: ['x'], attrs: { approximate: attr.s(approximate) }, inputShape: [2, 3, 8], opset: 20 };
    const x = randn(48, next).map((v) => 2 * v);
    const guided = await run(spec, 'guided-backprop', x);
    const wantGuided = x.map((xi, i) => Math.max(guided.w[i], 0) * geluSlope[approximate](xi));
    assert.ok(relativeError(guided.relevance, wantGuided) < 1e-5, `guided: ${relativeError(guided.relevance, wantGuided)}`);
    const deconv = await run(spec, 'deconvnet', x);
    const wantDeconv = deconv.w.map((wi) => Math.max(wi, 0));
    assert.ok(relativeError(deconv.relevance, wantDeconv) < 1e-6, `deconvnet: ${relativeError(deconv.relevance, wantDeconv)}`);
    // Where δ < 0 both are zero; where δ > 0 guided keeps the (sometimes negative) GELU slope, unlike plain ReLU.
    assert.ok(guided.relevance.some((v) => v < 0) && deconv.relevance.every((v) => v >= 0));
  });
}

/** Expected relevance of a reduction over the last axis (length n): each element's share times its row's R. */
function perRow(x: Float32Array, n: number, share: (row: Float32Array, j: number) => number, rowR: (r: number) => number) {
  return x.map((_, i) => share(x.subarray(i - (i % n), i - (i % n) + n), i % n) * rowR(Math.floor(i / n)));
}

test('LRP-ε through ReduceSum, ReduceL2 and ReduceLogSumExp splits relevance by the definitions', async () => {
  const shape = [2, 3, 5];
  const x = randn(30, next);
  const eps = 0.1;
  const sum = (r: Float32Array) => r.reduce((a, v) => a + v, 0);
  const reduce = (op: string): OneNodeSpec => ({ op, inputs: ['x'], attrs: { axes: attr.ints([-1]), keepdims: attr.i(0) }, inputShape: shape });
  const reduceSum: OneNodeSpec = { op: 'ReduceSum', inputs: ['x', 'a'], consts: { a: ci([-1]) }, attrs: { keepdims: attr.i(0) }, inputShape: shape };
  const checks: [OneNodeSpec, (row: Float32Array, j: number) => number][] = [
    // z = Σx; the ε-rule's stabiliser has z's sign.
    [reduceSum, (row, j) => row[j] / (sum(row) + eps * (sum(row) >= 0 ? 1 : -1))],
    [reduce('ReduceL2'), (row, j) => row[j] ** 2 / (sum(row.map((v) => v * v)) + eps)],
    [reduce('ReduceLogSumExp'), (row, j) => Math.exp(row[j]) / sum(row.map(Math.exp))],
  ];
  for (const [spec, share] of checks) {
    const { y, w, relevance } = await run(spec, 'lrp-epsilon', x, { eps });
    const want = perRow(x, 5, share, (r) => w[r] * y[r]);
    assert.ok(relativeError(relevance, want) < 1e-5, `${spec.op}: ${relativeError(relevance, want)}`);
  }
});

const mulBy = (k: string, out = 't0') => ({ op: 'Mul', inputs: ['x', k], outputs: [out] });
const conserving: [string, OneNodeSpec][] = [
  ['Sum(x, 2x)', { op: 'Sum', inputs: ['x', 't0'], consts: { a: cs(2) }, before: [mulBy('a')], inputShape: [2, 3, 5] }],
  ['Mean(x, 2x, x)', { op: 'Mean', inputs: ['x', 't0', 'x'], consts: { a: cs(2) }, before: [mulBy('a')], inputShape: [2, 3, 5] }],
  ['Max(x, −x/2, 3x) (winner takes all)', { op: 'Max', inputs: ['x', 't0', 't1'], consts: { h: cs(-0.5), a: cs(3) }, before: [mulBy('h'), mulBy('a', 't1')], inputShape: [2, 3, 5] }],
  ['Min(x, k) (identity)', { op: 'Min', inputs: ['x', 'k'], consts: { k: c([5]) }, inputShape: [2, 3, 5] }],
  ['Where(x > 0, x, 0.3x)', { op: 'Where', inputs: ['t0', 'x', 't1'], consts: { z: cs(0), k: cs(0.3) }, before: [{ op: 'Greater', inputs: ['x', 'z'] }, mulBy('k', 't1')], inputShape: [2, 3, 5] }],
  ['Expand', { op: 'Expand', inputs: ['x', 's'], consts: { s: ci([2, 3, 4, 5]) }, inputShape: [3, 1, 5] }],
  ['Tile', { op: 'Tile', inputs: ['x', 'r'], consts: { r: ci([2, 1, 3]) }, inputShape: [2, 3, 5] }],
  ['ReduceSum', { op: 'ReduceSum', inputs: ['x', 'a'], consts: { a: ci([1]) }, inputShape: [2, 3, 5] }],
  ['ReduceMax', { op: 'ReduceMax', inputs: ['x'], attrs: { axes: attr.ints([2]) }, inputShape: [2, 3, 5] }],
  ['ReduceSumSquare', { op: 'ReduceSumSquare', inputs: ['x'], attrs: { axes: attr.ints([0, 2]) }, inputShape: [2, 3, 5] }],
  ['Gelu (identity)', { op: 'Gelu', inputs: ['x'], inputShape: [2, 3, 5], opset: 20 }],
  ['Pow x^3 (identity)', { op: 'Pow', inputs: ['x', 'p'], consts: { p: cs(3) }, inputShape: [2, 3, 5] }],
  ['Exp (identity)', { op: 'Exp', inputs: ['x'], inputShape: [2, 3, 5] }],
];

for (const [name, spec] of conserving) {
  test(`LRP-ε with ε → 0 conserves relevance through ${name}`, async () => {
    const n = spec.inputShape.reduce((a, d) => a * d, 1);
    const { y, w, relevance } = await run(spec, 'lrp-epsilon', randn(n, next), { eps: 1e-9 });
    const total = y.reduce((s, v, i) => s + v * w[i], 0);
    const got = relevance.reduce((s, v) => s + v, 0);
    assert.ok(Math.abs(got - total) <= 1e-4 * Math.max(1, Math.abs(total)), `Σ R = ${got}, target ${total}`);
  });
}

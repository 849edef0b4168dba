/**
 * LRP rules of the ops in gradcheck-structural.test.ts, against float64 references built from each one-node
 * model's dense linear map (W and b read off forward passes with zero and unit inputs): linear layers follow the
 * ε / z⁺ / αβ / zB definitions of lrp.ts, selections (Gather, strided Slice, reflect Pad, nearest Resize, pixel
 * shuffles) route relevance back unchanged, R_in = Wᵀ R_out.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { Engine } from '../../src/engine/engine';
import { attr } from '../../src/engine/ir/graph';
import { ConstTensor } from '../../src/engine/ir/tensor';
import { TINY } from '../../src/engine/backward/lrp';
import { oneNodeModel, randn, rng, type OneNodeSpec } from './onenode';

const next = rng(23);
const c = (dims: number[]) => ConstTensor.float32(dims, randn(dims.reduce((a, b) => a * b, 1), next));
const ci = (v: number[]) => ConstTensor.int64([v.length], v);
const f32 = (v: number[]) => ConstTensor.float32([v.length], v);

interface Case { name: string; spec: OneNodeSpec; kind: 'signed' | 'unsigned' | 'selection' }
const cases: Case[] = [
  { name: 'ConvTranspose (stride 2, groups, bias)', kind: 'signed', spec: { op: 'ConvTranspose', inputs: ['x', 'w', 'b'], consts: { w: c([4, 2, 3, 3]), b: c([4]) }, attrs: { strides: attr.ints([2, 2]), group: attr.i(2), pads: attr.ints([1, 0, 0, 1]) }, inputShape: [1, 4, 3, 3] } },
  { name: 'ConvTranspose 1-D', kind: 'signed', spec: { op: 'ConvTranspose', inputs: ['x', 'w'], consts: { w: c([3, 2, 4]) }, attrs: { strides: attr.ints([3]) }, inputShape: [2, 3, 4] } },
  {
    // No sample lands within 1e-2 of an input position: there cubic taps near 0 make z⁺ denominators tiny and
    // float32 rounding, not the rule, decides the result.
    name: 'Resize cubic with tf_crop_and_resize extrapolation (signed weights, bias)', kind: 'signed',
    spec: { op: 'Resize', inputs: ['x', 'roi', '', 'sizes'], consts: { roi: f32([0, 0, -0.2, 0.12, 1, 1, 1.1, 0.93]), sizes: ci([1, 2, 6, 7]) }, attrs: { mode: attr.s('cubic'), coordinate_transformation_mode: attr.s('tf_crop_and_resize'), extrapolation_value: attr.f(0.7) }, inputShape: [1, 2, 4, 5] },
  },
  { name: 'Resize cubic antialias (signed weights)', kind: 'signed', spec: { op: 'Resize', inputs: ['x', '', 's'], consts: { s: f32([1, 1, 0.6, 1.5]) }, attrs: { mode: attr.s('cubic'), antialias: attr.i(1) }, inputShape: [1, 2, 6, 4], opset: 18 } },
  { name: 'Resize linear (positive weights)', kind: 'unsigned', spec: { op: 'Resize', inputs: ['x', '', 's'], consts: { s: f32([1, 1, 1.5, 2]) }, attrs: { mode: attr.s('linear') }, inputShape: [1, 2, 4, 3] } },
  { name: 'Resize nearest', kind: 'selection', spec: { op: 'Resize', inputs: ['x', '', 's'], consts: { s: f32([1, 1, 2, 0.5]) }, attrs: { mode: attr.s('nearest') }, inputShape: [1, 2, 3, 6] } },
  { name: 'Gather with repeats', kind: 'selection', spec: { op: 'Gather', inputs: ['x', 'i'], consts: { i: ci([2, 0, 2, -1]) }, attrs: { axis: attr.i(2) }, inputShape: [1, 2, 4, 3] } },
  { name: 'GatherND batch_dims 1', kind: 'selection', spec: { op: 'GatherND', inputs: ['x', 'i'], consts: { i: ConstTensor.int64([2, 2, 1], [1, 1, 0, 2]) }, attrs: { batch_dims: attr.i(1) }, inputShape: [2, 3, 4] } },
  { name: 'Slice step −2', kind: 'selection', spec: { op: 'Slice', inputs: ['x', 'st', 'en', 'ax', 'sp'], consts: { st: ci([-1]), en: ci([-100]), ax: ci([3]), sp: ci([-2]) }, inputShape: [1, 2, 3, 5] } },
  { name: 'Pad reflect', kind: 'selection', spec: { op: 'Pad', inputs: ['x', 'p'], attrs: { mode: attr.s('reflect') }, consts: { p: ci([0, 0, 1, 2, 0, 0, 2, 1]) }, inputShape: [1, 2, 3, 4] } },
  { name: 'DepthToSpace CRD', kind: 'selection', spec: { op: 'DepthToSpace', inputs: ['x'], attrs: { blocksize: attr.i(2), mode: attr.s('CRD') }, inputShape: [1, 8, 2, 3] } },
];

const RULES: { linear: string; params: Record<string, number> }[] = [
  { linear: 'epsilon', params: { eps: 0.25 } },
  { linear: 'zplus', params: {} },
  { linear: 'alphabeta', params: { alpha: 2, beta: 1 } },
  { linear: 'zb', params: { low: -1.5, high: 2 } },
];

const engine = new Engine({ threads: 1 });
after(() => engine.dispose());

type Vec = Float64Array;
const matT = (W: Vec[], s: Vec, n: number) => {
  const out = new Float64Array(n);
  W.forEach((col, j) => { let v = 0; col.forEach((w, i) => (v += w * s[i])); out[j] = v; });
  return out;
};
const mat = (W: Vec[], x: ArrayLike<number>, m: number) => {
  const out = new Float64Array(m);
  W.forEach((col, j) => col.forEach((w, i) => (out[i] += w * x[j])));
  return out;
};
const stab = (z: number, eps: number) => z + (z >= 0 ? eps : -eps);

/** The reference relevance at the input; W is given by columns (W[j] = output for unit input j, minus bias). */
function reference(kind: Case['kind'], rule: string, p: Record<string, number>, W: Vec[], bias: Vec, x: Float32Array, y: Float32Array, R: Vec): Vec {
  const n = x.length;
  const m = y.length;
  if (kind === 'selection') return matT(W, R, n);
  const pos = W.map((col) => col.map((v) => Math.max(v, 0)));
  const neg = W.map((col) => col.map((v) => Math.min(v, 0)));
  const times = (a: ArrayLike<number>, b: Vec) => b.map((v, j) => v * a[j]);
  if (rule === 'epsilon' || kind === 'unsigned') {
    const eps = rule === 'epsilon' ? p.eps : TINY;
    return times(x, matT(W, R.map((r, i) => r / stab(y[i], eps)), n));
  }
  if (rule === 'zb') {
    const low = new Float64Array(n).fill(p.low);
    const high = new Float64Array(n).fill(p.high);
    const wx = mat(W, x, m);
    const lp = mat(pos, low, m);
    const hn = mat(neg, high, m);
    const s = R.map((r, i) => r / stab(wx[i] - lp[i] - hn[i], TINY));
    const a = times(x, matT(W, s, n));
    const l = times(low, matT(pos, s, n));
    const h = times(high, matT(neg, s, n));
    return a.map((v, j) => v - l[j] - h[j]);
  }
  const xp = Float64Array.from(x, (v) => Math.max(v, 0));
  const xn = Float64Array.from(x, (v) => Math.min(v, 0));
  const zpb = rule === 'alphabeta' ? bias.map((v) => Math.max(v, 0)) : new Float64Array(m);
  const zp = mat(pos, xp, m).map((v, i) => v + mat(neg, xn, m)[i] + zpb[i]);
  const sp = R.map((r, i) => r / (zp[i] + TINY));
  const positive = times(xp, matT(pos, sp, n)).map((v, j) => v + xn[j] * matT(neg, sp, n)[j]);
  if (rule === 'zplus') return positive;
  const zn = mat(neg, xp, m).map((v, i) => v + mat(pos, xn, m)[i] + Math.min(bias[i], 0));
  const sn = R.map((r, i) => r / (zn[i] - TINY));
  const negative = times(xp, matT(neg, sn, n)).map((v, j) => v + xn[j] * matT(pos, sn, n)[j]);
  return positive.map((v, j) => p.alpha * v - p.beta * negative[j]);
}

for (const k of cases) {
  const rules = k.kind === 'selection' ? RULES.slice(0, 2) : RULES;
  for (const r of rules) {
    test(`LRP ${r.linear} through ${k.name} matches its dense-map reference`, async () => {
      const model = engine.open(oneNodeModel(k.spec));
      const dims = k.spec.inputShape;
      const n = dims.reduce((a, b) => a * b, 1);
      const run = async (d: Float32Array) => (await engine.forward(model, { data: d, dims })).y0;
      const bias = Float64Array.from((await run(new Float32Array(n))).data);
      const W: Vec[] = [];
      for (let j = 0; j < n; j++) {
        const e = new Float32Array(n);
        e[j] = 1;
        W.push(Float64Array.from((await run(e)).data, (v, i) => v - bias[i]));
      }
      const x = randn(n, next);
      const y = await run(x);
      const w = randn(y.data.length, next);
      const target = { kind: 'weights' as const, tensor: 'y0', weights: { data: w, dims: y.dims } };
      const got = (await engine.explain({ model, input: { data: x, dims }, method: 'rule-grid', params: { relu: 'pass', linear: r.linear, ...r.params }, target })).relevance.data;
      const want = reference(k.kind, r.linear, r.params, W, bias, x, y.data, Float64Array.from(w, (v, i) => v * y.data[i]));
      let diff = 0;
      let norm = 0;
      want.forEach((v, i) => { diff += (v - got[i]) ** 2; norm += v * v; });
      assert.ok(Math.sqrt(diff / norm) < 1e-4, `relative L2 error ${Math.sqrt(diff / norm).toExponential(2)}`);
    });
  }
}

test('a wrap Pad longer than its axis at the start is refused (onnxruntime 1.30 zero-fills part of it)', async () => {
  const model = engine.open(oneNodeModel({ op: 'Pad', inputs: ['x', 'p'], attrs: { mode: attr.s('wrap') }, consts: { p: ci([0, 0, 0, 6, 0, 0, 0, 1]) }, inputShape: [1, 1, 2, 5], opset: 19 }));
  const x = { data: randn(10, next), dims: [1, 1, 2, 5] };
  const y = await engine.forward(model, x);
  const target = { kind: 'weights' as const, tensor: 'y0', weights: { data: new Float32Array(y.y0.data.length).fill(1), dims: y.y0.dims } };
  await assert.rejects(engine.explain({ model, input: x, method: 'gradient', target }), /wrap pad longer than the axis/);
});

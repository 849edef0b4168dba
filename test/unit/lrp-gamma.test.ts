/**
 * LRP-γ and the zB · γ · ε composite against float64 re-derivations written from the definitions (Montavon et al.
 * 2019): explicit contribution matrices c_ij = x_i w_ij + γ·(x_i w_ij)^{sign z_j}, relevance R_i = Σ_j c_ij/Σ_i c_ij · R_j,
 * computed layer by layer from the models' own weights, not through the compiler's factored form.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { Engine } from '../../src/engine/engine';
import { attr } from '../../src/engine/ir/graph';
import { ConstTensor } from '../../src/engine/ir/tensor';
import { TINY } from '../../src/engine/backward/lrp';
import { oneNodeModel, randn, rng } from './onenode';

const next = rng(71);
const engine = new Engine({ threads: 1 });
after(() => engine.dispose());

/** A dense layer in float64: w[j][i] is the weight from input i to output j. */
interface Dense { w: number[][]; b: number[] }
const dense = (out: number, inp: number): Dense => ({
  w: Array.from({ length: out }, () => Array.from(randn(inp, next))),
  b: Array.from(randn(out, next), (v) => 0.5 * v),
});
const apply = (l: Dense, x: number[]) => l.w.map((row, j) => row.reduce((a, w, i) => a + w * x[i], l.b[j]));
const relu = (x: number[]) => x.map((v) => Math.max(v, 0));
const stab = (z: number, e: number) => z + (z >= 0 ? e : -e);

/** R_i = Σ_j c_ij / d_j · R_j for the contribution matrix c (c[j][i]) and denominators d. */
function redistribute(c: number[][], d: number[], R: number[], e: number): number[] {
  const out = new Array(c[0].length).fill(0);
  c.forEach((row, j) => row.forEach((v, i) => (out[i] += (v / stab(d[j], e)) * R[j])));
  return out;
}

function gammaRule(l: Dense, x: number[], R: number[], gamma: number): number[] {
  const z = apply(l, x);
  const amp = (v: number, j: number) => v + gamma * (z[j] >= 0 ? Math.max(v, 0) : Math.min(v, 0));
  const c = l.w.map((row, j) => row.map((w, i) => amp(x[i] * w, j)));
  const d = c.map((row, j) => row.reduce((a, v) => a + v, amp(l.b[j], j)));
  return redistribute(c, d, R, TINY);
}

function epsilonRule(l: Dense, x: number[], R: number[], eps: number): number[] {
  const z = apply(l, x);
  return redistribute(l.w.map((row) => row.map((w, i) => x[i] * w)), z, R, eps);
}

function zbRule(l: Dense, x: number[], R: number[], low: number, high: number): number[] {
  const c = l.w.map((row) => row.map((w, i) => x[i] * w - low * Math.max(w, 0) - high * Math.min(w, 0)));
  return redistribute(c, c.map((row) => row.reduce((a, v) => a + v, 0)), R, TINY);
}

const const2 = (l: Dense) => ConstTensor.float32([l.w.length, l.w[0].length], l.w.flat());
const constConv = (l: Dense) => ConstTensor.float32([l.w.length, l.w[0].length, 1, 1], l.w.flat());
const bias = (l: Dense) => ConstTensor.float32([l.b.length], l.b);

function relError(want: number[], got: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  want.forEach((v, i) => { diff += (v - got[i]) ** 2; norm += v * v; });
  return Math.sqrt(diff / norm);
}

test('LRP-γ through a Gemm with signed inputs and biases matches its definition for every γ; γ is live', async () => {
  const l = dense(7, 9);
  const model = engine.open(oneNodeModel({ op: 'Gemm', inputs: ['x', 'w', 'b'], consts: { w: const2(l), b: bias(l) }, attrs: { transB: attr.i(1) }, inputShape: [1, 9] }));
  const x = randn(9, next);
  const w = randn(7, next);
  const y = apply(l, Array.from(x));
  const target = { kind: 'weights' as const, tensor: 'y0', weights: { data: w, dims: [1, 7] } };
  const compileMs: number[] = [];
  for (const gamma of [0, 0.25, 3]) {
    const r = await engine.explain({ model, input: { data: x, dims: [1, 9] }, method: 'lrp-gamma', params: { gamma }, target });
    compileMs.push(r.timings.compileMs);
    const want = gammaRule(l, Array.from(x), y.map((v, j) => v * w[j]), gamma);
    assert.ok(relError(want, r.relevance.data) < 1e-4, `γ=${gamma}: relative L2 error ${relError(want, r.relevance.data).toExponential(2)}`);
  }
  // One compiled session serves every γ (the reported compile time is that session's).
  assert.equal(new Set(compileMs).size, 1);
});

test('LRP-γ with γ = 0 equals LRP-0 and large γ approaches z⁺ on non-negative inputs', async () => {
  const l = dense(5, 6);
  const model = engine.open(oneNodeModel({
    op: 'Gemm', inputs: ['t0', 'w', 'b'], consts: { w: const2(l), b: bias(l) }, attrs: { transB: attr.i(1) }, inputShape: [1, 6],
    before: [{ op: 'Relu', inputs: ['x'] }],
  }));
  const x = randn(6, next);
  const target = { kind: 'weights' as const, tensor: 'y0', weights: { data: new Float32Array([1, 0, 0, 0, 0]), dims: [1, 5] } };
  const run = async (method: string, params: Record<string, number>) =>
    (await engine.explain({ model, input: { data: x, dims: [1, 6] }, method, params, target })).relevance.data;
  const xr = relu(Array.from(x));
  const z = apply(l, xr);
  // γ = 0: x_i w_ij / z_j (LRP-0, i.e. ε → 0).
  const lrp0 = epsilonRule(l, xr, [z[0], 0, 0, 0, 0], TINY);
  assert.ok(relError(lrp0, await run('lrp-gamma', { gamma: 0 })) < 1e-4);
  // For z_0 > 0, x ≥ 0: x_i (w + γw⁺)_i0 / Σ x (w + γw⁺) + b + γb⁺ → x_i w⁺_i0 / (Σ x w⁺ + b⁺) as γ → ∞.
  if (z[0] > 0) {
    const pos = l.w[0].map((w, i) => xr[i] * Math.max(w, 0));
    const zp = pos.reduce((a, v) => a + v, Math.max(l.b[0], 0));
    const zplus = pos.map((v) => (v / zp) * z[0]);
    assert.ok(relError(zplus, await run('lrp-gamma', { gamma: 1e6 })) < 1e-3);
  }
});

test('the zB · γ · ε composite assigns zB to the input layer, γ to convolutions and ε to the dense head', async () => {
  const [l1, l2, l3] = [dense(6, 4), dense(5, 6), dense(3, 5)];
  const model = engine.open(oneNodeModel({
    op: 'Gemm', inputs: ['t4', 'w3', 'b3'], attrs: { transB: attr.i(1) }, inputShape: [1, 4, 1, 1],
    consts: { w1: constConv(l1), b1: bias(l1), w2: constConv(l2), b2: bias(l2), w3: const2(l3), b3: bias(l3) },
    before: [
      { op: 'Conv', inputs: ['x', 'w1', 'b1'] }, { op: 'Relu', inputs: ['t0'] },
      { op: 'Conv', inputs: ['t1', 'w2', 'b2'] }, { op: 'Relu', inputs: ['t2'] }, { op: 'Flatten', inputs: ['t3'] },
    ],
  }));
  const x = randn(4, next);
  const params = { gamma: 0.5, eps: 0.1, low: -2, high: 2.5 };
  const r = await engine.explain({ model, input: { data: x, dims: [1, 4, 1, 1] }, method: 'lrp-composite-gamma', params, target: { kind: 'class', index: 1 } });
  const a1 = relu(apply(l1, Array.from(x)));
  const a2 = relu(apply(l2, a1));
  const y = apply(l3, a2);
  const R3 = epsilonRule(l3, a2, [0, y[1], 0], params.eps);
  const R2 = gammaRule(l2, a1, R3, params.gamma);
  const want = zbRule(l1, Array.from(x), R2, params.low, params.high);
  assert.ok(relError(want, r.relevance.data) < 1e-4, `relative L2 error ${relError(want, r.relevance.data).toExponential(2)}`);
  assert.ok(Math.abs(r.targetValue[0] - y[1]) < 1e-4);
});

test('γ is validated like every declared bound', async () => {
  const model = engine.open(oneNodeModel({ op: 'Relu', inputs: ['x'], inputShape: [1, 3] }));
  await assert.rejects(engine.explain({ model, input: { data: new Float32Array(3), dims: [1, 3] }, method: 'lrp-gamma', params: { gamma: -1 } }), /gamma must be ≥ 0/);
});

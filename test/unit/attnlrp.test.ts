/**
 * The AttnLRP rules on few-node models against their definitions computed here in float64: the softmax Taylor
 * rule, the uniform rule for products (elementwise, MatMul, Einsum), GELU as a gated product, the layer-norm rule
 * (centring map with σ held constant) on LayerNormalization and on its written-out form, and Linear biases.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { Engine } from '../../src/engine/engine';
import { attr } from '../../src/engine/ir/graph';
import { ConstTensor } from '../../src/engine/ir/tensor';
import { c } from './gradcheck';
import { oneNodeModel, randn, rng, type OneNodeSpec } from './onenode';
import { relativeError } from './helpers';

const engine = new Engine({ threads: 1 });
after(() => engine.dispose());
const next = rng(11);

interface Run { x: Float32Array; y: Float32Array; R: Float64Array; rel: Float32Array }

/** Runs `method` on a one-node model with a random weighting w; R = w ⊙ y is the relevance at the output. */
async function lrp(spec: OneNodeSpec, method = 'lrp-epsilon', params: Record<string, number | string> = { eps: 1e-9 },
  x?: Float32Array, weights?: Float32Array): Promise<Run> {
  const model = engine.open(oneNodeModel(spec));
  const n = spec.inputShape.reduce((a, b) => a * b, 1);
  const input = { data: x ?? randn(n, next), dims: spec.inputShape };
  const y = (await engine.forward(model, input)).y0;
  const w = weights ?? randn(y.data.length, next);
  const target = { kind: 'weights' as const, tensor: 'y0', weights: { data: w, dims: y.dims } };
  const rel = (await engine.explain({ model, input, method, params, target })).relevance.data;
  return { x: input.data, y: y.data, R: Float64Array.from(w, (wi, i) => wi * y.data[i]), rel };
}

const sum = (v: ArrayLike<number>) => Array.from(v).reduce((a, b) => a + b, 0);
const close = (got: Float32Array, want: ArrayLike<number>, tol = 1e-5) => {
  const err = relativeError(got, Float32Array.from(want));
  assert.ok(err < tol, `relative error ${err.toExponential(2)} ≥ ${tol}`);
};

test('Softmax: R_x = x ⊙ (R − s ⊙ Σ R) along the axis', async () => {
  const [rows, cols] = [3, 5];
  const r = await lrp({ op: 'Softmax', inputs: ['x'], attrs: { axis: attr.i(-1) }, inputShape: [rows, cols] });
  const want = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const total = sum(r.R.subarray(i * cols, (i + 1) * cols));
    for (let j = 0; j < cols; j++) want[i * cols + j] = r.x[i * cols + j] * (r.R[i * cols + j] - r.y[i * cols + j] * total);
  }
  close(r.rel, want);
});

test('Mul of two activations: each factor gets half (x ⊙ xᵀ)', async () => {
  const d = 4;
  const r = await lrp({ op: 'Mul', inputs: ['x', 't0'], before: [{ op: 'Transpose', inputs: ['x'], attrs: { perm: attr.ints([1, 0]) } }], inputShape: [d, d] });
  const want = Array.from({ length: d * d }, (_, k) => 0.5 * r.R[k] + 0.5 * r.R[(k % d) * d + Math.floor(k / d)]);
  close(r.rel, want);
});

test('GELU written as x·½(1 + erf(x/√2)) is a gated product: R_x = R', async () => {
  const consts = { s2: ConstTensor.float32([], [Math.SQRT2]), one: ConstTensor.float32([], [1]), half: ConstTensor.float32([], [0.5]) };
  const before = [
    { op: 'Div', inputs: ['x', 's2'] }, { op: 'Erf', inputs: ['t0'] }, { op: 'Add', inputs: ['t1', 'one'] },
    { op: 'Mul', inputs: ['half', 't2'] },
  ];
  const r = await lrp({ op: 'Mul', inputs: ['x', 't3'], consts, before, inputShape: [2, 6] }, 'lrp-epsilon', { eps: 0.1 });
  close(r.rel, r.R);
});

/** ½-ε-LRP of Y = A·B for A = x (m×k), B = xᵀ: R_A = ½ A ⊙ (S Bᵀ) and R_B = ½ B ⊙ (Aᵀ S), S = R/stab(Y). */
function bilinearReference(r: Run, m: number, k: number, eps: number): Float64Array {
  const S = Float64Array.from(r.R, (v, i) => v / (r.y[i] + (r.y[i] >= 0 ? eps : -eps)));
  const out = new Float64Array(m * k);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      // x[i,p] appears as A[i,p] (row i of Y) and as B[p,i] (column i of Y).
      let viaA = 0;
      let viaB = 0;
      for (let j = 0; j < m; j++) {
        viaA += S[i * m + j] * r.x[j * k + p];
        viaB += S[j * m + i] * r.x[j * k + p];
      }
      out[i * k + p] = 0.5 * r.x[i * k + p] * (viaA + viaB);
    }
  }
  return out;
}

test('MatMul of two activations (x·xᵀ): AttnLRP uniform rule, conserving relevance', async () => {
  const [m, k] = [4, 3];
  const eps = 0.05;
  const r = await lrp({ op: 'MatMul', inputs: ['x', 't0'], before: [{ op: 'Transpose', inputs: ['x'], attrs: { perm: attr.ints([1, 0]) } }], inputShape: [m, k] }, 'lrp-epsilon', { eps });
  close(r.rel, bilinearReference(r, m, k, eps));
  const tiny = await lrp({ op: 'MatMul', inputs: ['x', 't0'], before: [{ op: 'Transpose', inputs: ['x'], attrs: { perm: attr.ints([1, 0]) } }], inputShape: [m, k] });
  assert.ok(Math.abs(sum(tiny.rel) - sum(tiny.R)) < 1e-4 * sum(tiny.R.map(Math.abs)), `Σ R_x ${sum(tiny.rel)} vs Σ R ${sum(tiny.R)}`);
});

test('Einsum of two activations (ij,kj->ik) gives the same relevance as MatMul', async () => {
  const [m, k] = [4, 3];
  const eps = 0.05;
  const r = await lrp({ op: 'Einsum', inputs: ['x', 'x'], attrs: { equation: attr.s('ij,kj->ik') }, inputShape: [m, k] }, 'lrp-epsilon', { eps });
  close(r.rel, bilinearReference(r, m, k, eps));
});

test('MatMul + constant bias (Linear on tokens): the bias is part of the ε-rule denominator', async () => {
  const [rows, cin, cout] = [3, 4, 5];
  const W = c([cin, cout]);
  const bias = c([cout]);
  const eps = 0.1;
  const r = await lrp({ op: 'Add', inputs: ['t0', 'bb'], consts: { w: W, bb: bias }, before: [{ op: 'MatMul', inputs: ['x', 'w'] }], inputShape: [rows, cin] }, 'lrp-epsilon', { eps });
  const w = W.floats();
  const want = new Float64Array(rows * cin);
  for (let i = 0; i < rows; i++) {
    for (let o = 0; o < cout; o++) {
      const z = r.y[i * cout + o];
      const s = r.R[i * cout + o] / (z + (z >= 0 ? eps : -eps));
      for (let p = 0; p < cin; p++) want[i * cin + p] += r.x[i * cin + p] * w[p * cout + o] * s;
    }
  }
  close(r.rel, want);
});

/** LN-ε reference: R_x = x ⊙ Jᵀ(R/stab(y)), J = diag(γ/σ)(I − 11ᵀ/M), per row of M values. */
function layerNormReference(r: Run, M: number, gamma: Float32Array, epsLn: number, eps: number): Float64Array {
  const out = new Float64Array(r.x.length);
  for (let row = 0; row < r.x.length / M; row++) {
    const xs = r.x.subarray(row * M, (row + 1) * M);
    const mu = sum(xs) / M;
    const sigma = Math.sqrt(sum(Array.from(xs, (v) => (v - mu) ** 2)) / M + epsLn);
    const u = Array.from({ length: M }, (_, i) => {
      const y = r.y[row * M + i];
      return (gamma[i] / sigma) * r.R[row * M + i] / (y + (y >= 0 ? eps : -eps));
    });
    const mean = sum(u) / M;
    for (let j = 0; j < M; j++) out[row * M + j] = xs[j] * (u[j] - mean);
  }
  return out;
}

const M = 6;
const gamma = ConstTensor.float32([M], c([M]).floats().map((v) => 1 + 0.3 * v));
const beta = c([M], 0.5);

test('LayerNormalization under LRP-ε: the centring map with σ held constant, bias in the denominator', async () => {
  const eps = 0.1;
  const r = await lrp({ op: 'LayerNormalization', inputs: ['x', 'g', 'bb'], consts: { g: gamma, bb: beta }, attrs: { epsilon: attr.f(1e-5) }, inputShape: [3, M] }, 'lrp-epsilon', { eps });
  close(r.rel, layerNormReference(r, M, gamma.floats(), 1e-5, eps));
});

/**
 * z⁺ / αβ on the layer-norm map, from its explicit matrix W = diag(γ/σ)(I − 11ᵀ/M) per row:
 * R = α·x ⊙ [W⁺ᵀ-part](R/z⁺) − β·(…)(R/z⁻) with x split into x⁺, x⁻ (no bias).
 */
function layerNormAlphaBeta(r: Run, M: number, gamma: Float32Array, alpha: number, beta: number): Float64Array {
  const out = new Float64Array(r.x.length);
  for (let row = 0; row < r.x.length / M; row++) {
    const xs = Array.from(r.x.subarray(row * M, (row + 1) * M));
    const mu = sum(xs) / M;
    const sigma = Math.sqrt(sum(xs.map((v) => (v - mu) ** 2)) / M + 1e-5);
    const W = (i: number, j: number) => (gamma[i] / sigma) * ((i === j ? 1 : 0) - 1 / M);
    const pos = (v: number) => Math.max(v, 0);
    const neg = (v: number) => Math.min(v, 0);
    for (let i = 0; i < M; i++) {
      let zp = 0;
      let zn = 0;
      for (let j = 0; j < M; j++) {
        zp += pos(W(i, j)) * pos(xs[j]) + neg(W(i, j)) * neg(xs[j]);
        zn += neg(W(i, j)) * pos(xs[j]) + pos(W(i, j)) * neg(xs[j]);
      }
      const Ri = r.R[row * M + i];
      for (let j = 0; j < M; j++) {
        const cp = pos(W(i, j)) * pos(xs[j]) + neg(W(i, j)) * neg(xs[j]);
        const cn = neg(W(i, j)) * pos(xs[j]) + pos(W(i, j)) * neg(xs[j]);
        out[row * M + j] += alpha * (cp / (zp + 1e-9)) * Ri - (beta ? beta * (cn / (zn - 1e-9)) * Ri : 0);
      }
    }
  }
  return out;
}

test('LayerNormalization under z⁺ and αβ: the rules on the explicit centring matrix', async () => {
  const spec: OneNodeSpec = { op: 'LayerNormalization', inputs: ['x', 'g'], consts: { g: gamma }, inputShape: [3, M] };
  for (const [linear, alpha, beta] of [['zplus', 1, 0], ['alphabeta', 2, 1]] as const) {
    const r = await lrp(spec, 'rule-grid', { relu: 'pass', linear, alpha, beta });
    close(r.rel, layerNormAlphaBeta(r, M, gamma.floats(), alpha, beta), 1e-4);
  }
});

test('LayerNormalization, GroupNormalization, InstanceNormalization without bias conserve relevance under ε → 0', async () => {
  const zeros = ConstTensor.float32([4], [0, 0, 0, 0]);
  const specs: OneNodeSpec[] = [
    { op: 'LayerNormalization', inputs: ['x', 'g'], consts: { g: gamma }, inputShape: [3, M] },
    { op: 'GroupNormalization', inputs: ['x', 'g', 'bb'], consts: { g: c([4]), bb: zeros }, attrs: { num_groups: attr.i(2) }, inputShape: [2, 4, 3, 3], opset: 21 },
    { op: 'InstanceNormalization', inputs: ['x', 'g', 'bb'], consts: { g: c([4]), bb: zeros }, inputShape: [2, 4, 3, 3] },
  ];
  for (const spec of specs) {
    const r = await lrp(spec);
    assert.ok(Math.abs(sum(r.rel) - sum(r.R)) < 1e-4 * sum(r.R.map(Math.abs)), `${spec.op}: Σ R_x ${sum(r.rel)} vs Σ R ${sum(r.R)}`);
  }
});

/** LayerNorm written out op by op, as the TorchScript exporter does, with the division as Div or Reciprocal·Mul. */
function decomposed(reciprocal: boolean): OneNodeSpec {
  const consts = { g: gamma, bb: beta, two: ConstTensor.float32([], [2]), e: ConstTensor.float32([], [1e-5]) };
  const mean = (input: string) => ({ op: 'ReduceMean', inputs: [input], attrs: { axes: attr.ints([-1]) } });
  const before = [
    mean('x'), { op: 'Sub', inputs: ['x', 't0'] }, { op: 'Pow', inputs: ['t1', 'two'] }, mean('t2'),
    { op: 'Add', inputs: ['t3', 'e'] }, { op: 'Sqrt', inputs: ['t4'] },
    ...(reciprocal ? [{ op: 'Reciprocal', inputs: ['t5'] }, { op: 'Mul', inputs: ['t1', 't6'] }] : [{ op: 'Div', inputs: ['t1', 't5'] }]),
  ];
  const normed = reciprocal ? 't7' : 't6';
  before.push({ op: 'Mul', inputs: [normed, 'g'] });
  return { op: 'Add', inputs: [reciprocal ? 't8' : 't7', 'bb'], consts, before, inputShape: [3, M] };
}

test('a written-out layer norm (Div or Reciprocal·Mul) gets the same LRP relevance as LayerNormalization', async () => {
  const x = randn(3 * M, next);
  const w = randn(3 * M, next);
  const fused: OneNodeSpec = { op: 'LayerNormalization', inputs: ['x', 'g', 'bb'], consts: { g: gamma, bb: beta }, attrs: { epsilon: attr.f(1e-5) }, inputShape: [3, M] };
  for (const [method, params] of [['lrp-epsilon', { eps: 0.1 }], ['rule-grid', { relu: 'pass', linear: 'alphabeta', alpha: 2, beta: 1 }]] as const) {
    const ref = await lrp(fused, method, params, x, w);
    if (method === 'lrp-epsilon') close(ref.rel, layerNormReference(ref, M, gamma.floats(), 1e-5, 0.1));
    for (const reciprocal of [false, true]) close((await lrp(decomposed(reciprocal), method, params, x, w)).rel, ref.rel, 1e-4);
  }
});

test('Softmax with −∞-masked logits: the masked positions get no relevance and nothing is NaN', async () => {
  const [rows, cols] = [2, 4];
  const mask = ConstTensor.float32([cols], [0, -Infinity, 0, 0]);
  const r = await lrp({ op: 'Softmax', inputs: ['t0'], consts: { m: mask }, before: [{ op: 'Add', inputs: ['x', 'm'] }], attrs: { axis: attr.i(-1) }, inputShape: [rows, cols] });
  assert.ok(r.rel.every(Number.isFinite), `relevance ${Array.from(r.rel)}`);
  for (let i = 0; i < rows; i++) assert.equal(Math.abs(r.rel[i * cols + 1]), 0);
});

test('a constant operand makes Einsum and MatMul (either side) linear layers under ε and z⁺', async () => {
  const W = c([4, 5]);
  const V = c([3, 4]);
  const x = randn(2 * 3 * 4, next);
  const w = randn(2 * 3 * 5, next);
  const wl = randn(2 * 3 * 3, next);
  for (const [linear, params] of [['epsilon', { eps: 0.1 }], ['zplus', {}]] as const) {
    const p = { relu: 'pass', linear, ...params };
    const mm = await lrp({ op: 'MatMul', inputs: ['x', 'w'], consts: { w: W }, inputShape: [2, 3, 4] }, 'rule-grid', p, x, w);
    const es = await lrp({ op: 'Einsum', inputs: ['x', 'w'], consts: { w: W }, attrs: { equation: attr.s('bij,jk->bik') }, inputShape: [2, 3, 4] }, 'rule-grid', p, x, w);
    close(es.rel, mm.rel);
    const left = await lrp({ op: 'MatMul', inputs: ['v', 'x'], consts: { v: V }, inputShape: [2, 4, 3] }, 'rule-grid', p, x, wl);
    const leftEs = await lrp({ op: 'Einsum', inputs: ['v', 'x'], consts: { v: V }, attrs: { equation: attr.s('ij,bjk->bik') }, inputShape: [2, 4, 3] }, 'rule-grid', p, x, wl);
    close(left.rel, leftEs.rel);
    if (linear === 'epsilon') assert.ok(Math.abs(sum(mm.rel) - sum(mm.R)) < 0.5 * sum(mm.R.map(Math.abs)), 'ε-LRP roughly conserves');
  }
});

test('a written-out channels-first layer norm (mean over axis 1 of NCHW, ConvNeXt-style) gets the layer-norm rule', async () => {
  const [n, C, h, w] = [2, 4, 3, 3];
  const g4 = ConstTensor.float32([C, 1, 1], [1.2, 0.7, 1.5, 0.9]);
  const b4 = ConstTensor.float32([C, 1, 1], [0.1, -0.3, 0.2, 0.05]);
  const consts = { g: g4, bb: b4, two: ConstTensor.float32([], [2]), e: ConstTensor.float32([], [1e-5]) };
  const mean = (input: string) => ({ op: 'ReduceMean', inputs: [input], attrs: { axes: attr.ints([1]) } });
  const before = [mean('x'), { op: 'Sub', inputs: ['x', 't0'] }, { op: 'Pow', inputs: ['t1', 'two'] }, mean('t2'),
    { op: 'Add', inputs: ['t3', 'e'] }, { op: 'Sqrt', inputs: ['t4'] }, { op: 'Div', inputs: ['t1', 't5'] }, { op: 'Mul', inputs: ['g', 't6'] }];
  const r = await lrp({ op: 'Add', inputs: ['t7', 'bb'], consts, before, inputShape: [n, C, h, w] }, 'lrp-epsilon', { eps: 0.1 });
  // Channels-last copies of x, y, R: each (item, position) is one row of C values.
  const last = (v: ArrayLike<number>) => Float64Array.from({ length: n * h * w * C }, (_, k) => {
    const ch = k % C;
    const pos = Math.floor(k / C) % (h * w);
    const item = Math.floor(k / (C * h * w));
    return v[(item * C + ch) * h * w + pos];
  });
  const ref = layerNormReference({ x: Float32Array.from(last(r.x)), y: Float32Array.from(last(r.y)), R: last(r.R), rel: r.rel }, C, g4.floats(), 1e-5, 0.1);
  const back = Float64Array.from({ length: ref.length }, (_, k) => {
    const pos = k % (h * w);
    const ch = Math.floor(k / (h * w)) % C;
    const item = Math.floor(k / (C * h * w));
    return ref[(item * h * w + pos) * C + ch];
  });
  close(r.rel, back, 1e-4);
});

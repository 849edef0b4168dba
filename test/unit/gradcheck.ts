/**
 * Finite-difference checks of gradient rules on one-node (or few-node) models: for random directions v,
 * (S(x + hv) − S(x − hv)) / 2h must equal ⟨∇S, v⟩, with S = Σ w ⊙ y for a random weighting w.
 * Each gradcheck*.test.ts file lists its cases and calls gradcheckCases.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { Engine } from '../../src/engine/engine';
import { ConstTensor } from '../../src/engine/ir/tensor';
import { oneNodeModel, randn, rng, type OneNodeSpec } from './onenode';

export interface GradCase extends OneNodeSpec {
  name: string;
  /** Piecewise-linear op: inputs are kept away from 0 and the step is small. */
  kinks?: boolean;
  tol?: number;
  /** Makes the input (default: standard normal, pushed away from 0 when `kinks`). */
  input?: (n: number, next: () => number) => Float32Array;
}

const next = rng(7);
export const c = (dims: number[], scale = 1) => ConstTensor.float32(dims, randn(dims.reduce((a, b) => a * b, 1), next).map((v) => v * scale));
export const ci = (v: number[]) => ConstTensor.int64([v.length], v);
export const cs = (v: number) => ConstTensor.float32([], [v]);
/** Inputs kept at least 0.05 away from 0 so piecewise-linear ops are not probed across a kink. */
export const awayFromZero = (x: Float32Array) => x.map((v) => Math.sign(v) * (0.05 + Math.abs(v)));
/** Strictly positive inputs in [0.2, 2.2) (Log, Sqrt, Pow with fractional exponents). */
export const positive = (n: number, r: () => number) => Float32Array.from({ length: n }, () => 0.2 + 2 * r());

export function gradcheckCases(cases: GradCase[], method = 'gradient'): void {
  const engine = new Engine({ threads: 1 });
  after(() => engine.dispose());
  for (const k of cases) {
    test(`gradient of ${k.name} matches finite differences`, async () => {
      const file = oneNodeModel(k);
      const model = engine.open(file);
      const n = k.inputShape.reduce((a, b) => a * b, 1);
      let x = k.input ? k.input(n, next) : randn(n, next);
      if (k.kinks && !k.input) x = awayFromZero(x);
      const input = { data: x, dims: k.inputShape };
      const y = (await engine.forward(model, input)).y0;
      const w = randn(y.data.length, next);
      const target = { kind: 'weights' as const, tensor: 'y0', weights: { data: w, dims: y.dims } };
      const grad = (await engine.explain({ model, input, method, target })).relevance.data;
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
}

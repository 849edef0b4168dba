/**
 * Integrated Gradients against Captum's IntegratedGradients (float64, tools/make_ig_refs.py) on a small CNN with
 * biases: every integration rule, the zero baseline, 16 steps, a batch of two; and the quadrature rules themselves.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { readNpy } from '../../src/engine/npy';
import { gaussLegendre, integrationPoints, INTEGRATION_RULES } from '../../src/engine/attribution/integration';
import { FIXTURES, relativeError } from './helpers';

const dir = path.join(FIXTURES, 'ig');
const ref = JSON.parse(fs.readFileSync(path.join(dir, 'captum.json'), 'utf8')) as { target: number; cases: { baseline: string; rule: string; steps: number; attribution: number[]; delta: number }[] };
const engine = new Engine({ threads: 1 });
after(() => engine.dispose());

test('Gauss–Legendre nodes and weights integrate polynomials of degree 2n − 1 exactly', () => {
  for (const n of [1, 2, 5, 16, 33]) {
    const { nodes, weights } = gaussLegendre(n);
    assert.ok(Math.abs(weights.reduce((a, w) => a + w, 0) - 2) < 1e-12);
    const deg = 2 * n - 1;
    const exact = deg % 2 === 1 ? 0 : 2 / (deg + 1);
    const got = nodes.reduce((a, x, i) => a + weights[i] * x ** deg, 0);
    assert.ok(Math.abs(got - exact) < 1e-10, `n=${n}: ∫x^${deg} = ${got}`);
    assert.ok(nodes.every((x, i) => i === 0 || x > nodes[i - 1]), 'ascending');
  }
  for (const rule of INTEGRATION_RULES) {
    const { alphas, weights } = integrationPoints(rule, 8);
    // Captum's trapezoid halves the ends of 1/n steps, so its weights sum to (n − 1)/n.
    assert.ok(Math.abs(weights.reduce((a, w) => a + w, 0) - (rule === 'riemann-trapezoid' ? 7 / 8 : 1)) < 1e-12, rule);
    assert.ok(alphas.every((a) => a >= 0 && a <= 1), rule);
  }
});

for (const c of ref.cases) {
  test(`integrated-gradients (${c.rule}, ${c.steps} steps, zero baseline) matches Captum within 1e-4`, async () => {
    const model = engine.open(path.join(dir, 'model.onnx'));
    const input = readNpy(path.join(dir, 'input.npy'));
    const r = await engine.explain({ model, input, method: 'integrated-gradients', params: { steps: c.steps, 'ig-rule': c.rule }, target: { kind: 'class', index: ref.target } });
    const err = relativeError(r.relevance.data, Float32Array.from(c.attribution));
    assert.ok(err < 1e-4, `relative L2 error ${err.toExponential(2)}`);
    const gap = (r.extras!.completeness_gap as number[])[0];
    assert.ok(Math.abs(gap - c.delta) < 1e-4 * Math.max(1, Math.abs(c.delta)) + 1e-5, `completeness gap ${gap} vs Captum's ${c.delta}`);
  });
}

test('integrated-gradients on a batch explains each item from its own baseline and class; a bad baseline is refused clearly', async () => {
  const model = engine.open(path.join(dir, 'model.onnx'));
  const one = readNpy(path.join(dir, 'input.npy'));
  const two = { data: new Float32Array([...one.data, ...one.data.map((v) => -v)]), dims: [2, ...one.dims.slice(1)] };
  const r = await engine.explain({ model, input: two, method: 'integrated-gradients', params: { steps: 16 }, target: { kind: 'class', index: [ref.target, ref.target] } });
  const zero = ref.cases.find((c) => c.baseline === 'zero' && c.rule === 'gausslegendre')!;
  assert.ok(relativeError(r.relevance.data.subarray(0, one.data.length), Float32Array.from(zero.attribution)) < 1e-4);
  assert.equal((r.extras!.completeness_gap as number[]).length, 2);
  await assert.rejects(engine.explain({ model, input: { data: new Float32Array(12), dims: [1, 12] }, method: 'integrated-gradients', params: { baseline: 'black' } }), /baseline|shape|rank/);
});

test('baselines: a blurred constant image is the image itself (zero attribution); black is pixel 0 through the normalisation', async () => {
  const model = engine.open(path.join(dir, 'model.onnx'));
  const flat = { data: new Float32Array(3 * 12 * 12).fill(0.7), dims: [1, 3, 12, 12] };
  const r = await engine.explain({ model, input: flat, method: 'integrated-gradients', params: { steps: 8, baseline: 'blur' }, target: { kind: 'class', index: 1 } });
  assert.ok(r.relevance.data.every((v) => Math.abs(v) < 1e-6));
  const { baselineFor } = await import('../../src/engine/attribution/baselines');
  const black = baselineFor('black', model, flat, 0);
  // The default normalisation is ImageNet's: (0 − mean) / std per channel.
  const want = [-0.485 / 0.229, -0.456 / 0.224, -0.406 / 0.225];
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(black[c * 144 + 5] - want[c]) < 1e-5);
});

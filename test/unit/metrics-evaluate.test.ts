/**
 * Engine.evaluate end to end: the cascading randomisation test against tools/make_metric_refs.py (scipy's Spearman,
 * skimage's SSIM) and the paper's finding on the embedded trained model; completeness against Captum's convergence
 * delta; conservation on a bias-free model; streaming, determinism, batches, applicability and cancellation.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { readNpy } from '../../src/engine/npy';
import { loadImageFile } from '../../src/engine/preprocess';
import type { MetricResult } from '../../src/protocol/types';
import { FIXTURES } from './helpers';

const engine = new Engine({ threads: 1 });
after(() => engine.dispose());
const metricsDir = path.join(FIXTURES, 'metrics');
const refs = JSON.parse(fs.readFileSync(path.join(metricsDir, 'refs.json'), 'utf8')) as { target: number; cases: { metric: string; params: Record<string, number | boolean>; seed: number; value: number; values: Record<string, number>; steps: { spearman: number; ssim: number }[] }[] };

test('randomisation: Spearman and SSIM at each cascade step match scipy and skimage; each step streams as it completes', async () => {
  const c = refs.cases.find((x) => x.metric === 'randomisation')!;
  const model = engine.open(path.join(metricsDir, 'model.onnx'));
  const input = readNpy(path.join(metricsDir, 'input.npy'));
  const streamed: MetricResult[] = [];
  const [r] = await engine.evaluate({ model, input, method: 'gradient', target: { kind: 'class', index: refs.target }, metrics: [{ id: 'randomisation', params: c.params }], seed: c.seed },
    undefined, (p) => p.result && streamed.push(p.result));
  assert.equal(r.steps!.length, c.steps.length);
  r.steps!.forEach((s, i) => {
    assert.ok(Math.abs(s.spearman - c.steps[i].spearman) < 1e-4, `step ${i}: Spearman ${s.spearman} vs ${c.steps[i].spearman}`);
    assert.ok(Math.abs(s.ssim - c.steps[i].ssim) < 1e-4, `step ${i}: SSIM ${s.ssim} vs ${c.steps[i].ssim}`);
    assert.deepEqual(s.map!.dims, [16, 16]);
  });
  assert.ok(Math.abs(r.value - c.value) < 1e-4 && Math.abs(r.values!.mean_ssim - c.values.mean_ssim) < 1e-4);
  assert.deepEqual(r.curve!.x, [0, 1, 2, 3]);
  // One partial result per step (growing), then the final one.
  assert.deepEqual(streamed.map((s) => s.steps!.length), [1, 2, 3, 3]);
  assert.ok(streamed.every((s) => s.metric === 'randomisation' && s.method === 'gradient' && s.item === 0));
});

test('randomisation on the embedded trained model: gradient maps decorrelate as layers are randomised from the top', async () => {
  const model = engine.open();
  const input = loadImageFile(path.join(__dirname, '..', '..', 'assets', 'samples', 'chelsea.png'), model.preprocessing());
  const [r] = await engine.evaluate({ model, input, method: 'gradient', metrics: [{ id: 'randomisation', params: { layers: 3, maps: false } }], seed: 1 });
  const rho = r.steps!.map((s) => s.spearman);
  assert.equal(rho.length, 3);
  assert.ok(r.value < 0.5, `mean Spearman ${r.value} is not clearly below the unrandomised 1.0`);
  assert.ok(rho[2] < rho[0] && rho[2] < 0.3, `Spearman by cascade depth: ${rho.join(', ')}`);
  assert.ok(r.steps![0].layer.includes('(') && r.steps![0].layer.startsWith('/_fc'), `grouped from the top: ${r.steps![0].layer}`);
});

test('completeness equals Captum\'s convergence delta for integrated-gradients; it and conservation do not apply elsewhere', async () => {
  const dir = path.join(FIXTURES, 'ig');
  const captum = JSON.parse(fs.readFileSync(path.join(dir, 'captum.json'), 'utf8')) as { target: number; cases: { rule: string; delta: number }[] };
  const model = engine.open(path.join(dir, 'model.onnx'));
  const input = readNpy(path.join(dir, 'input.npy'));
  const [comp, cons] = await engine.evaluate({ model, input, method: 'integrated-gradients', params: { steps: 16 }, target: { kind: 'class', index: captum.target }, metrics: [{ id: 'completeness' }, { id: 'conservation' }] });
  const delta = captum.cases.find((c) => c.rule === 'gausslegendre')!.delta;
  assert.ok(Math.abs(comp.value - delta) < 1e-4 * Math.max(1, Math.abs(delta)) + 1e-5, `completeness ${comp.value} vs Captum's ${delta}`);
  assert.ok(Number.isNaN(cons.value) && /lrp/.test(cons.notApplicable!));
  const [g] = await engine.evaluate({ model, input, method: 'gradient', metrics: [{ id: 'completeness' }] });
  assert.ok(Number.isNaN(g.value) && /integrated-gradients/.test(g.notApplicable!));
});

test('conservation: LRP-ε relevance on a bias-free ReLU network sums to the target value; a fixed batch of 2 is refused clearly', async () => {
  const model = engine.open(path.join(metricsDir, 'model-nobias.onnx'));
  const one = readNpy(path.join(metricsDir, 'input.npy'));
  const input = { data: new Float32Array([...one.data, ...one.data.map((v) => 0.5 * v)]), dims: [2, ...one.dims.slice(1)] };
  const res = await engine.evaluate({ model, input, method: 'lrp-epsilon', params: { eps: 1e-9 }, target: { kind: 'class', index: [3, 1] }, metrics: [{ id: 'conservation' }] });
  assert.equal(res.length, 2);
  for (const r of res) assert.ok(Math.abs(r.value - 1) < 1e-3, `item ${r.item}: Σ relevance / target = ${r.value}`);
  const fixed = engine.open(path.join(FIXTURES, 'nobias', 'model.onnx'));
  await assert.rejects(engine.evaluate({ model: fixed, input: readNpy(path.join(FIXTURES, 'nobias', 'input.npy')), method: 'gradient', metrics: [{ id: 'deletion' }] }), /fixed batch of 2/);
});

test('evaluate: items of a batch each get their own result, seeded runs repeat exactly, a cancelled run stops, bad requests fail first', async () => {
  const model = engine.open(path.join(metricsDir, 'model.onnx'));
  const one = readNpy(path.join(metricsDir, 'input.npy'));
  const two = { data: new Float32Array([...one.data, ...one.data.map((v) => -v)]), dims: [2, ...one.dims.slice(1)] };
  const req = { model, input: two, method: 'gradient', metrics: [{ id: 'deletion', params: { steps: 8 } }, { id: 'infidelity', params: { samples: 4 } }], seed: 5 };
  const a = await engine.evaluate(req);
  const b = await engine.evaluate(req);
  assert.deepEqual(a.map((r) => [r.item, r.metric]), [[0, 'deletion'], [0, 'infidelity'], [1, 'deletion'], [1, 'infidelity']]);
  assert.deepEqual(a.map((r) => r.value), b.map((r) => r.value));
  const c = await engine.evaluate({ ...req, seed: 6 });
  assert.notEqual(c[1].value, a[1].value, 'another seed draws other perturbations');
  assert.equal(c[0].value, a[0].value, 'deletion with the zero baseline draws nothing');
  // Item 0 alone gives item 0's numbers (its seed is the request's seed).
  const alone = await engine.evaluate({ ...req, input: one });
  assert.deepEqual(alone.map((r) => r.value), a.slice(0, 2).map((r) => r.value));
  await assert.rejects(engine.evaluate(req, { isCancellationRequested: true }), (e: Error & { code?: string }) => e.code === 'Cancelled');
  // Cancelled while a metric runs (after the first streamed randomisation step): no further step is computed.
  const token = { isCancellationRequested: false };
  let steps = 0;
  await assert.rejects(engine.evaluate({ ...req, input: one, metrics: [{ id: 'randomisation', params: { layers: 3 } }] }, token, (p) => {
    if (p.result) { steps = p.result.steps!.length; token.isCancellationRequested = true; }
  }), (e: Error & { code?: string }) => e.code === 'Cancelled');
  assert.equal(steps, 1);
  await assert.rejects(engine.evaluate({ ...req, metrics: [{ id: 'nope' }] }), /unknown metric 'nope'.*deletion/);
  await assert.rejects(engine.evaluate({ ...req, metrics: [{ id: 'deletion', params: { steps: -1 } }] }), /steps/);
  const ids = engine.metrics().map((m) => m.id);
  for (const id of ['completeness', 'conservation', 'deletion', 'infidelity', 'insertion', 'max-sensitivity', 'pixel-flipping', 'randomisation', 'road']) assert.ok(ids.includes(id), id);
});

test('evaluate: a metric\'s own seed equals the request seed it replaces; onResult sees each finished result once; a wrapper\'s inner parameters pass', async () => {
  const model = engine.open(path.join(metricsDir, 'model.onnx'));
  const input = readNpy(path.join(metricsDir, 'input.npy'));
  const base = { model, input, method: 'gradient', target: { kind: 'class' as const, index: refs.target } };
  const [alone] = await engine.evaluate({ ...base, metrics: [{ id: 'infidelity', params: { samples: 8 } }], seed: 5 });
  const finished: MetricResult[] = [];
  const both = await engine.evaluate({ ...base, seed: 99, metrics: [{ id: 'deletion', params: { steps: 4 } }, { id: 'infidelity', params: { samples: 8 }, seed: 5 }], onResult: (r) => finished.push(r) });
  assert.equal(both[1].value, alone.value, 'seed 5 on the metric = seed 5 on the request (item 0)');
  assert.deepEqual(finished.map((r) => r.metric), ['deletion', 'infidelity']);
  const sg = (eps: number) => engine.evaluate({ ...base, method: 'smoothgrad', params: { of: 'lrp-epsilon', eps, samples: 2 }, metrics: [{ id: 'deletion', params: { steps: 4 } }], seed: 1 });
  const [a, b] = [(await sg(0.01))[0], (await sg(10))[0]];
  assert.ok(Number.isFinite(a.value) && Number.isFinite(b.value));
  await assert.rejects(engine.evaluate({ ...base, method: 'smoothgrad', params: { of: 'gradient', eps: 1 }, metrics: [{ id: 'deletion' }] }), /eps is not a parameter of method 'smoothgrad' nor of its inner method 'gradient'/);
});

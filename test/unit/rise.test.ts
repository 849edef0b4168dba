/**
 * RISE against a numpy/PyTorch reference that rebuilds the same seeded masks from the documented generator
 * (float64, tools/make_attribution_refs.py); the generator itself; seeds, batching, streamed partial maps,
 * cancellation and errors.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { readNpy } from '../../src/engine/npy';
import { FeatureVisError } from '../../src/engine/errors';
import { RiseMasks } from '../../src/engine/attribution/rise-masks';
import type { ParamValues, Progress } from '../../src/protocol/types';
import { oneNodeModel } from './onenode';
import { FIXTURES, relativeError } from './helpers';

const dir = path.join(FIXTURES, 'attribution');
const refs = JSON.parse(fs.readFileSync(path.join(dir, 'refs.json'), 'utf8')) as {
  targets: number[]; rise: { params: { masks: number; cells: number; p: number; seed: number }; saliency: number[]; first_masks: number[] };
};
const engine = new Engine({ threads: 1 });
after(() => engine.dispose());
const model = engine.open(path.join(dir, 'model.onnx'));
const input = readNpy(path.join(dir, 'input.npy'));
const target = { kind: 'class' as const, index: refs.targets };
const rise = (params: ParamValues, progress?: (p: Progress) => void, token?: { isCancellationRequested: boolean }) =>
  engine.explain({ model, input, method: 'rise', params, target }, token, progress);

test('the mask generator reproduces the reference\'s masks for the seed', () => {
  const { cells, p, seed } = refs.rise.params;
  const gen = new RiseMasks({ cells, p, seed, height: 16, width: 16 });
  const first = [gen.next(new Float32Array(256)), gen.next(new Float32Array(256))];
  const want = Float32Array.from(refs.rise.first_masks);
  first.forEach((m, i) => m.forEach((v, j) => assert.ok(Math.abs(v - want[i * 256 + j]) < 1e-6, `mask ${i} at ${j}: ${v} vs ${want[i * 256 + j]}`)));
  assert.ok(first[0].some((v) => v > 0.99) && first[0].some((v) => v < 0.01), 'kept and dropped cells');
});

test('rise matches the reference saliency Σ score·M / (N·p) within 1e-4, in any batch size', async () => {
  for (const batch of [0, 7]) {
    const r = await rise({ ...refs.rise.params, batch });
    assert.deepEqual(r.relevance.dims, [2, 1, 16, 16]);
    const err = relativeError(r.relevance.data, Float32Array.from(refs.rise.saliency));
    assert.ok(err < 1e-4, `batch ${batch}: relative L2 error ${err.toExponential(2)}`);
    assert.equal(r.extras!.score, 'probability');
  }
});

test('rise is seeded, streams partial maps ending in the result, and stops when cancelled', async () => {
  const a = await rise({ masks: 40, seed: 1 });
  const b = await rise({ masks: 40, seed: 1 });
  const c = await rise({ masks: 40, seed: 2 });
  assert.deepEqual(a.relevance.data, b.relevance.data);
  assert.ok(relativeError(a.relevance.data, c.relevance.data) > 1e-3);
  const partials: Progress[] = [];
  const r = await rise({ masks: 40, seed: 1, batch: 8 }, (p) => { if (p.partial) partials.push(p); });
  assert.ok(partials.length >= 1);
  const last = partials[partials.length - 1].partial!;
  assert.deepEqual(last.dims, r.relevance.dims);
  assert.ok(relativeError(last.data, r.relevance.data) < 1e-6);
  const token = { isCancellationRequested: false };
  let calls = 0;
  await assert.rejects(rise({ masks: 100, batch: 4 }, () => { calls++; token.isCancellationRequested = true; }, token),
    (e: unknown) => e instanceof FeatureVisError && e.code === 'Cancelled');
  assert.equal(calls, 1);
});

test('rise errors: bounds of its parameters, more cells than pixels, a non-image input', async () => {
  await assert.rejects(rise({ masks: 0 }), /masks must be ≥ 1/);
  await assert.rejects(rise({ p: 0 }), /p must be ≥ 0.01/);
  await assert.rejects(rise({ cells: 20 }), /cells must be at most the input's smaller side \(16\)/);
  await assert.rejects(rise({ seed: -1 }), /seed must be ≥ 0/);
  const flat = engine.open(oneNodeModel({ op: 'Relu', inputs: ['x'], inputShape: [1, 6] }));
  await assert.rejects(engine.explain({ model: flat, input: { data: new Float32Array(6), dims: [1, 6] }, method: 'rise', target: { kind: 'class', index: 0 } }), /rise needs an image input/);
});

/**
 * SmoothGrad against a PyTorch loop with the same noise tensor (float64, tools/make_attribution_refs.py): plain,
 * SmoothGrad², VarGrad and over guided backpropagation; the inner method's parameters pass through (engine and
 * CLI), seeds, bounds, cancellation and errors.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { readNpy } from '../../src/engine/npy';
import { FeatureVisError } from '../../src/engine/errors';
import { fixedNoise, gaussianNoise, smoothGrad, type SmoothMode } from '../../src/engine/attribution/smoothgrad';
import type { MethodRunContext } from '../../src/engine/methods/run-context';
import { COMMANDS } from '../../src/cli/main';
import { parseArgs } from '../../src/cli/args';
import type { ParamValues, TensorData } from '../../src/protocol/types';
import { FIXTURES, relativeError } from './helpers';

const dir = path.join(FIXTURES, 'attribution');
const refs = JSON.parse(fs.readFileSync(path.join(dir, 'refs.json'), 'utf8')) as Record<string, number[]> & { targets: number[]; samples: number };
const engine = new Engine({ threads: 1 });
after(() => engine.dispose());
const model = engine.open(path.join(dir, 'model.onnx'));
const input = readNpy(path.join(dir, 'input.npy'));
const noise = readNpy(path.join(dir, 'noise.npy'));
const target = { kind: 'class' as const, index: refs.targets };

function context(token = { isCancellationRequested: false }): MethodRunContext {
  return {
    model, input, target, token, progress: () => undefined,
    explain: (method, x, t, params) => engine.explain({ model, input: x, method, params, target: t }),
  };
}

const withNoise = (of: string, mode: SmoothMode, innerParams: ParamValues = {}) =>
  smoothGrad(context(), { of, innerParams, samples: refs.samples, mode }, fixedNoise(noise.data, 2, refs.samples));

for (const [of, mode] of [['gradient', 'mean'], ['gradient', 'square'], ['gradient', 'vargrad'], ['guided-backprop', 'mean']] as const) {
  test(`smoothgrad (${mode} over ${of}) with a fixed noise tensor matches the PyTorch loop within 1e-4`, async () => {
    const r = await withNoise(of, mode);
    assert.deepEqual(r.relevance.dims, input.dims);
    const err = relativeError(r.relevance.data, Float32Array.from(refs[`smoothgrad/${of}/${mode}`]));
    assert.ok(err < 1e-4, `relative L2 error ${err.toExponential(2)}`);
    // The target value is the clean input's (the extra row of each item).
    const clean = await engine.explain({ model, input, method: of, target });
    r.targetValue.forEach((v, i) => assert.ok(Math.abs(v - clean.targetValue[i]) < 1e-5));
  });
}

test("the inner method's parameters reach it: smoothgrad over lrp-epsilon is the mean of lrp-epsilon maps with that ε", async () => {
  const r = await withNoise('lrp-epsilon', 'mean', { eps: 0.05 });
  const per = input.data.length / 2;
  const want = new Float32Array(input.data.length);
  for (let n = 0; n < 2; n++) {
    const rows = new Float32Array(refs.samples * per);
    for (let s = 0; s < refs.samples; s++) {
      for (let i = 0; i < per; i++) rows[s * per + i] = input.data[n * per + i] + noise.data[(n * refs.samples + s) * per + i];
    }
    const m = await engine.explain({ model, input: { data: rows, dims: [refs.samples, 3, 16, 16] }, method: 'lrp-epsilon', params: { eps: 0.05 }, target: { kind: 'class', index: refs.targets[n] } });
    for (let s = 0; s < refs.samples; s++) for (let i = 0; i < per; i++) want[n * per + i] += m.relevance.data[s * per + i] / refs.samples;
  }
  assert.ok(relativeError(r.relevance.data, want) < 1e-5);
  const other = await withNoise('lrp-epsilon', 'mean', { eps: 5 });
  assert.ok(relativeError(other.relevance.data, want) > 1e-2, 'ε = 5 gives another map');
});

test('engine parameters: a wrapper takes its inner method\'s parameters and refuses names neither has', async () => {
  const base = { model, input, method: 'smoothgrad', target, params: { samples: 3 } };
  const eps = await engine.explain({ ...base, params: { samples: 3, of: 'lrp-epsilon', eps: 0.05 } });
  assert.equal(eps.extras!.of, 'lrp-epsilon');
  await assert.rejects(engine.explain({ ...base, params: { samples: 3, eps: 0.05 } }), /eps is not a parameter of method 'smoothgrad' nor of its inner method 'gradient'/);
  await assert.rejects(engine.explain({ ...base, params: { samples: 3, of: 'lrp-epsilon', eps: -1 } }), /eps must be ≥/);
  await assert.rejects(engine.explain({ ...base, params: { samples: 3, colour: 1 } }), /colour is not a parameter/);
  await assert.rejects(engine.explain({ ...base, params: { of: 'occlusion' } }), /of must be one of/);
  await assert.rejects(engine.explain({ ...base, params: { samples: 0 } }), /samples must be ≥ 1/);
  await assert.rejects(engine.explain({ ...base, params: { noise: 1.5 } }), /noise must be ≤ 1/);
  await assert.rejects(engine.explain({ ...base, params: { square: true, vargrad: true } }), /vargrad cannot be combined with square/);
});

test('seeded: the same seed gives the same map, another seed another; σ is noise × the item\'s range; no noise is the plain map', async () => {
  const run = (params: ParamValues) => engine.explain({ model, input, method: 'smoothgrad', target, params: { samples: 4, ...params } });
  const [a, b, c] = [await run({ seed: 5 }), await run({ seed: 5 }), await run({ seed: 6 })];
  assert.deepEqual(a.relevance.data, b.relevance.data);
  assert.ok(relativeError(a.relevance.data, c.relevance.data) > 1e-3);
  const per = input.data.length / 2;
  const item = input.data.subarray(0, per);
  const range = Math.max(...item) - Math.min(...item);
  assert.ok(Math.abs((a.extras!.noise_sigma as number[])[0] - 0.15 * range) < 1e-6);
  const { sigmas } = gaussianNoise(input.data, 2, 0.2, 0);
  assert.ok(Math.abs(sigmas[0] - 0.2 * range) < 1e-6);
  const plain = await engine.explain({ model, input, method: 'gradient', target });
  const still = await run({ noise: 0 });
  assert.ok(relativeError(still.relevance.data, plain.relevance.data) < 1e-6);
  const variance = await run({ noise: 0, vargrad: true });
  assert.ok(variance.relevance.data.every((v) => Math.abs(v) < 1e-9));
});

test('cancellation between batches', async () => {
  const token = { isCancellationRequested: false };
  let calls = 0;
  await assert.rejects(
    engine.explain({ model, input, method: 'smoothgrad', target, params: { samples: 40 } }, token, () => { calls++; token.isCancellationRequested = true; }),
    (e: unknown) => e instanceof FeatureVisError && e.code === 'Cancelled',
  );
  assert.equal(calls, 1);
});

test('CLI: --of names the inner method whose flags explain accepts; other flags are refused', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'featurevis-sg-'));
  const out = path.join(tmp, 'sg.npy');
  const base = ['explain', '--model', path.join(dir, 'model.onnx'), '--input', path.join(dir, 'input.npy'), '--method', 'smoothgrad', '--samples', '2', '--target', 'class:2', '--out', out];
  const cli = (extra: string[]) => { const a = parseArgs([...base, ...extra]); return COMMANDS[a.positionals[0]](engine, a); };
  await cli(['--of', 'lrp-epsilon', '--eps', '0.05']);
  const got = readNpy(out) as TensorData;
  const want = await engine.explain({ model, input, method: 'smoothgrad', params: { samples: 2, of: 'lrp-epsilon', eps: 0.05 }, target: { kind: 'class', index: 2 } });
  assert.deepEqual(got.data, want.relevance.data);
  await assert.rejects(cli(['--eps', '0.05']), /--eps is not an option of smoothgrad \(its parameters: --of, --samples/);
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('a per-item weighting target is split per item like a class target', async () => {
  const w = new Float32Array(10);
  w[refs.targets[0]] = 1;
  w[5 + refs.targets[1]] = 1;
  const params = { samples: 3, seed: 2 };
  const byClass = await engine.explain({ model, input, method: 'smoothgrad', params, target });
  const byWeights = await engine.explain({ model, input, method: 'smoothgrad', params, target: { kind: 'weights', tensor: 'logits', weights: { data: w, dims: [2, 5] } } });
  assert.ok(relativeError(byWeights.relevance.data, byClass.relevance.data) < 1e-6);
});

test("no method smoothgrad can wrap has a parameter named like one of smoothgrad's own (it would be taken as smoothgrad's)", () => {
  const sg = engine.method('smoothgrad');
  const own = new Set(sg.params.map((p) => p.name));
  const of = sg.params.find((p) => p.name === sg.wraps)!;
  assert.ok(of.kind === 'choice' && of.choices.includes('guided-backprop') && of.choices.includes('lrp-epsilon') && !of.choices.includes('smoothgrad'));
  for (const id of of.kind === 'choice' ? of.choices : []) {
    const clash = engine.method(id).params.filter((p) => own.has(p.name)).map((p) => p.name);
    assert.deepEqual(clash, [], `${id}: ${clash.join(', ')}`);
  }
});

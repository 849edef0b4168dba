/**
 * Faithfulness and robustness metrics against tools/make_metric_refs.py (float64 references; Captum's infidelity and
 * sensitivity_max; the ROAD authors' sparse imputation system solved by scipy): deletion, insertion, pixel flipping
 * and ROAD on fixed maps (input-shaped and a 4 × 4 map upsampled to the input), infidelity and max-sensitivity with
 * the same seeded perturbations (the tool re-implements the engine's generator).
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { readNpy } from '../../src/engine/npy';
import { metrics } from '../../src/engine/metrics';
import { scorer } from '../../src/engine/evaluate';
import { parseParams } from '../../src/engine/methods/params';
import type { MetricContext } from '../../src/engine/metrics/types';
import type { TensorData } from '../../src/protocol/types';
import { linearImpute } from '../../src/engine/metrics/road';
import { geometry } from '../../src/engine/metrics/pixels';
import { FIXTURES } from './helpers';

interface Case { metric: string; map?: string; method?: string; params: Record<string, number | string | boolean>; seed?: number; value: number; values?: Record<string, number>; curve?: number[]; imputed_last_morf_noiseless?: number[] }
const dir = path.join(FIXTURES, 'metrics');
const ref = JSON.parse(fs.readFileSync(path.join(dir, 'refs.json'), 'utf8')) as { target: number; cases: Case[] };
const engine = new Engine({ threads: 1 });
after(() => engine.dispose());

async function context(c: Case): Promise<MetricContext> {
  const model = engine.open(path.join(dir, 'model.onnx'));
  const input = readNpy(path.join(dir, 'input.npy'));
  const weights = { data: new Float32Array(5), dims: [1, 5] };
  weights.data[ref.target] = 1;
  const target = { kind: 'weights' as const, tensor: 'logits', weights };
  const explain = async (x: TensorData) => (await engine.explain({ model, input: x, method: 'gradient', target })).relevance;
  const relevance = c.map ? readNpy(path.join(dir, `map_${c.map}.npy`)) : await explain(input);
  return {
    model, input, method: c.method ?? 'fixed-map', methodParams: {}, target, seed: c.seed ?? 0,
    explanation: { method: 'fixed-map', relevance, targetValue: [0], targetTensor: 'logits', timings: { compileMs: 0, runMs: 0 } },
    score: await scorer(model, input, target), explain, progress: () => undefined, token: { isCancellationRequested: false },
  };
}

const close = (got: number, want: number, tol: number, what: string) =>
  assert.ok(Math.abs(got - want) <= tol * Math.max(Math.abs(want), 1e-12), `${what}: ${got} vs reference ${want} (relative ${(Math.abs(got - want) / Math.abs(want)).toExponential(2)})`);

for (const c of ref.cases.filter((x) => x.metric !== 'randomisation')) {
  // Stochastic metrics use the same perturbations, so they too differ from float64 only by the float32 forward passes.
  const tol = 1e-4;
  test(`${c.metric} (${c.map ? `${c.map} map` : c.method}, ${JSON.stringify(c.params)}) matches the reference within ${tol}`, async () => {
    const m = metrics.get(c.metric)!;
    const ctx = await context(c);
    const r = await m.compute(ctx, parseParams(m.params, c.params, c.metric));
    close(r.value, c.value, tol, 'value');
    for (const [k, v] of Object.entries(c.values ?? {})) {
      // A difference of two nearby numbers is compared on the scale of the headline value.
      assert.ok(Math.abs(r.values![k] - v) <= tol * Math.max(Math.abs(v), Math.abs(c.value)), `${k}: ${r.values![k]} vs ${v}`);
    }
    if (c.curve?.length) {
      assert.equal(r.curve!.y.length, c.curve.length);
      r.curve!.y.forEach((y, i) => close(y, c.curve![i], 1e-4, `curve[${i}]`));
    }
  });
}

test('ROAD: the linear imputation equals the authors\' sparse system (scipy spsolve) within 1e-5', async () => {
  const c = ref.cases.find((x) => x.metric === 'road' && x.imputed_last_morf_noiseless?.length)!;
  const ctx = await context(c);
  const g = geometry(ctx);
  // The last MoRF percentage's mask, rebuilt: the most relevant pixels by |map| summed over channels.
  const imputed = Float64Array.from(c.imputed_last_morf_noiseless!);
  const removed = new Uint8Array(g.plane);
  for (let p = 0; p < g.plane; p++) for (let ch = 0; ch < g.C; ch++) if (imputed[ch * g.plane + p] !== ctx.input.data[ch * g.plane + p]) removed[p] = 1;
  const pcts = String(c.params.percentages).split(',').map(Number);
  assert.equal(removed.reduce((a, v) => a + v, 0), Math.floor((pcts[pcts.length - 1] / 100) * g.plane));
  const got = linearImpute(ctx.input.data, g, removed);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - imputed[i]));
  assert.ok(worst < 1e-5, `max |difference| ${worst}`);
});

test('deletion: a map that does not fit the input and bad parameters are refused clearly', async () => {
  const c = ref.cases[0];
  const m = metrics.get('deletion')!;
  assert.throws(() => parseParams(m.params, { steps: 0 }, 'deletion'), /steps/);
  assert.throws(() => parseParams(m.params, { stpes: 4 }, 'deletion'), /stpes/);
  const ctx = await context(c);
  const bad = { ...ctx, explanation: { ...ctx.explanation, relevance: { data: new Float32Array(7), dims: [1, 7] } } };
  await assert.rejects(m.compute(bad, parseParams(m.params, {}, 'deletion')), /map/);
});

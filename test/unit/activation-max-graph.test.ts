/**
 * The aided activation-max step compiled into one graph (aided-graph.ts) against the TS path (param.ts FFT,
 * transforms.ts resampling, regularizers.ts): the same step (value and ∂L/∂p) and the same image after N steps.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { LoadedModel } from '../../src/engine/model';
import { parseParams } from '../../src/engine/methods/params';
import type { MethodRunContext } from '../../src/engine/methods/run-context';
import { activationMax, AM_PARAMS } from '../../src/engine/reconstruct/activation-max';
import { AidedRunner } from '../../src/engine/reconstruct/aided-runner';
import { makeParam } from '../../src/engine/reconstruct/param';
import { regularize, type RegSettings } from '../../src/engine/reconstruct/regularizers';
import { Rng } from '../../src/engine/reconstruct/rng';
import { perItemDot, resolveFor, Runner } from '../../src/engine/reconstruct/session';
import { applyAffine, applyAffineAdjoint, defaultTransforms, randomAffine } from '../../src/engine/reconstruct/transforms';
import { FIXTURES } from './helpers';

const model = LoadedModel.open(path.join(FIXTURES, 'convnet', 'model.onnx'), { threads: 1 });
after(() => model.dispose());
const dims = [2, 3, 24, 24];

/** max |a − b| over max |b|: the relative error of a whole vector. */
function relErr(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  assert.ok(m > 0, 'the reference is all zeros');
  return d / m;
}

const CASES: { name: string; fourier: boolean; decorrelate: boolean; transforms: boolean; reg: RegSettings }[] = [
  { name: 'fourier + colour + transforms, L2 and TV²', fourier: true, decorrelate: true, transforms: true, reg: { lpWeight: 0.05, lpAlpha: 2, tvWeight: 0.3, tvBeta: 2 } },
  { name: 'fourier only, L6 and TV¹', fourier: true, decorrelate: false, transforms: false, reg: { lpWeight: 0.02, lpAlpha: 6, tvWeight: 0.1, tvBeta: 1 } },
  { name: 'colour + transforms, no priors', fourier: false, decorrelate: true, transforms: true, reg: { lpWeight: 0, lpAlpha: 2, tvWeight: 0, tvBeta: 2 } },
  { name: 'pixels + transforms, TV^1.5', fourier: false, decorrelate: false, transforms: true, reg: { lpWeight: 0, lpAlpha: 2, tvWeight: 0.2, tvBeta: 1.5 } },
];

for (const c of CASES) {
  test(`aided step in the graph equals the TS step: ${c.name}`, async () => {
    const pre = model.preprocessing();
    const target = await resolveFor(model, dims, { kind: 'class', index: 3 });
    const weights = target.weights.data;
    const rng = new Rng(7);
    const param = makeParam({ dims, pre, fourier: c.fourier, decorrelate: c.decorrelate, rng, initStd: 0.5 });
    if (!c.fourier && !c.decorrelate) for (let i = 0; i < param.params.length; i++) param.params[i] += 0.3 * rng.normal();
    const tf = defaultTransforms(24);
    const maps = c.transforms ? [randomAffine(tf, rng), randomAffine(tf, rng)] : undefined;

    const runner = await Runner.open(model, 'gradient', target.tensor, dims);
    const x = Float32Array.from(param.image());
    const ts = await runner.run(maps ? applyAffine(x, dims, maps) : x, weights);
    const gx = maps ? applyAffineAdjoint(ts.grad, dims, maps) : ts.grad;
    const lossGrad = Float32Array.from(gx, (v) => -v);
    const r = regularize(x, dims, c.reg, lossGrad);
    const tsValue = perItemDot(ts.target, weights, 2).reduce((a, b) => a + b, 0) - r;
    const tsGrad = param.backward(lossGrad);

    const graph = await AidedRunner.open(model, { dims, fourier: c.fourier, decorrelate: c.decorrelate, transforms: c.transforms, mean: pre.mean, std: pre.std, reg: c.reg }, target.tensor);
    const g = await graph.run(param.params, weights, maps);
    const value = perItemDot(g.target, weights, 2).reduce((a, b) => a + b, 0) - g.reg;
    assert.ok(Math.abs(value - tsValue) <= 1e-4 * Math.abs(tsValue), `value ${value} vs TS ${tsValue}`);
    if (c.reg.lpWeight > 0 || c.reg.tvWeight > 0) assert.ok(Math.abs(g.reg - r) <= 1e-4 * r, `priors ${g.reg} vs TS ${r}`);
    const e = relErr(g.grad, tsGrad);
    assert.ok(e <= 1e-4, `∂L/∂p relative error ${e}`);
  });
}

function context(): MethodRunContext {
  return {
    model, input: { data: new Float32Array(3 * 24 * 24), dims: [1, 3, 24, 24] }, target: { kind: 'class', index: 0 },
    progress: () => undefined, token: { isCancellationRequested: false },
    explain: () => Promise.reject(new Error('not used')),
  };
}

test('aided activation-max: the graph path and the TS path give the same image after 20 steps (same seed)', async () => {
  const p = parseParams(AM_PARAMS, { steps: 20, units: '0-1', fourier: true, decorrelate: true, transforms: true, seed: 3, 'tv-weight': 0.05, 'lp-weight': 0.01, lr: 0.05 }, 'activation-max');
  const viaGraph = await activationMax(context(), p, { inGraph: true });
  const viaTs = await activationMax(context(), p, { inGraph: false });
  const trace = viaGraph.extras!.objective as number[];
  const tsTrace = viaTs.extras!.objective as number[];
  assert.equal(trace.length, 20);
  trace.forEach((v, i) => assert.ok(Math.abs(v - tsTrace[i]) <= 1e-4 * Math.max(1, Math.abs(tsTrace[i])), `step ${i}: ${v} vs ${tsTrace[i]}`));
  const e = relErr(viaGraph.relevance.data, viaTs.relevance.data);
  assert.ok(e <= 1e-4, `image relative error ${e}`);
  assert.ok(relErr(Float32Array.from(viaGraph.targetValue), Float32Array.from(viaTs.targetValue)) <= 1e-4);
  // The run moved the image: equal images are not both the start.
  assert.ok(trace[19] > trace[0], `objective ${trace[0]} → ${trace[19]}`);
});

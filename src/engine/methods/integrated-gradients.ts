/**
 * Integrated Gradients (Sundararajan et al. 2017): (x − x′) ⊙ ∫₀¹ ∇f(x′ + α(x − x′)) dα with Captum's quadrature
 * rules, the interpolation points run in batches through the compiled gradient graph. Reports the completeness gap
 * Σ attribution − (f(x) − f(x′)) per item (0 for the exact integral).
 */
import * as ort from 'onnxruntime-node';
import type { ExplainResult, TensorData } from '../../protocol/types';
import type { LoadedModel } from '../model';
import { targetSession } from '../occlusion/batching';
import { INTEGRATION_RULES, integrationPoints } from '../attribution/integration';
import { BASELINES, baselineFor } from '../attribution/baselines';
import { perItemDot, resolveFor, Runner } from '../reconstruct/session';
import { cancelled } from '../errors';
import { choice, integer, type ParamsOf } from './params';
import { runMethod } from './types';
import type { MethodRunContext } from './run-context';

const PARAMS = [
  integer('steps', 'Steps', { default: 32, min: 2, max: 1024, help: 'interpolation points on the path from the baseline' }),
  choice('ig-rule', 'Integration rule', INTEGRATION_RULES, { default: 'gausslegendre', help: "Captum's quadrature rules" }),
  choice('baseline', 'Baseline', BASELINES, { default: 'zero', help: 'zero tensor, black image, seeded uniform noise image, or the input blurred (σ = 5 px)' }),
  integer('seed', 'Seed', { default: 0, min: 0, help: 'seed of the uniform baseline' }),
] as const;

/** At most this many interpolation points per graph run (beyond it CPU throughput no longer rises). */
const MAX_BATCH = 8;

async function run(ctx: MethodRunContext, p: ParamsOf<typeof PARAMS>): Promise<ExplainResult> {
  const t0 = performance.now();
  const { model, input } = ctx;
  const N = input.dims[0];
  const per = input.data.length / N;
  const { alphas, weights } = integrationPoints(p['ig-rule'], p.steps);
  const baseline = baselineFor(p.baseline, model, input, p.seed);
  const target = await resolveFor(model, input.dims, ctx.target);
  // Equal chunks (32 points: one run of 32; 40: two of 20), so no run computes padding rows.
  const B = model.fixedBatch ?? Math.ceil(alphas.length / Math.ceil(alphas.length / MAX_BATCH));
  const runner = await Runner.open(model, 'gradient', target.tensor, [B, ...input.dims.slice(1)]);
  const tPer = target.weights.data.length / N;
  // f(x) and f(x′) for the completeness gap: forward passes only.
  const ends = await endValues(model, input, baseline, target);
  const setupMs = performance.now() - t0;
  const relevance = new Float32Array(input.data.length);
  const gap: number[] = [];
  const batchX = new Float32Array(B * per);
  const batchW = new Float32Array(B * tPer);
  for (let n = 0; n < N; n++) {
    const x = input.data.subarray(n * per, (n + 1) * per);
    const x0 = baseline.subarray(n * per, (n + 1) * per);
    const w = target.weights.data.subarray(n * tPer, (n + 1) * tPer);
    const sum = new Float64Array(per);
    for (let start = 0; start < alphas.length; start += B) {
      if (ctx.token.isCancellationRequested) throw cancelled();
      const chunk = alphas.slice(start, start + B);
      batchW.fill(0);
      chunk.forEach((a, j) => {
        const row = batchX.subarray(j * per, (j + 1) * per);
        for (let i = 0; i < per; i++) row[i] = x0[i] + a * (x[i] - x0[i]);
        batchW.set(w, j * tPer);
      });
      const { grad } = await runner.run(batchX, batchW);
      chunk.forEach((_, j) => {
        const wk = weights[start + j];
        const g = grad.subarray(j * per, (j + 1) * per);
        for (let i = 0; i < per; i++) sum[i] += wk * g[i];
      });
      ctx.progress({ fraction: (n + Math.min(1, (start + B) / alphas.length)) / N });
    }
    let total = 0;
    for (let i = 0; i < per; i++) {
      const v = (x[i] - x0[i]) * sum[i];
      relevance[n * per + i] = v;
      total += v;
    }
    gap.push(total - (ends.fx[n] - ends.fBaseline[n]));
  }
  return {
    method: 'integrated-gradients',
    relevance: { data: relevance, dims: input.dims },
    targetValue: ends.fx,
    targetTensor: target.tensor,
    timings: { compileMs: setupMs, runMs: performance.now() - t0 - setupMs },
    extras: { target: target.description, completeness_gap: gap },
  };
}

export const method = runMethod({
  id: 'integrated-gradients',
  title: 'Integrated Gradients',
  family: 'deconvolution',
  output: 'input',
  summary: 'Sundararajan et al. 2017: (x − x′) times the gradient integrated along the straight path from a baseline x′.',
  params: PARAMS,
  run,
});

/** The target's value at each item and at its baseline, through one forward session that outputs the target tensor. */
async function endValues(model: LoadedModel, input: TensorData, baseline: Float32Array, target: { tensor: string; weights: TensorData }): Promise<{ fx: number[]; fBaseline: number[] }> {
  const N = input.dims[0];
  const session = await targetSession(model, target.tensor);
  const per = input.data.length / N;
  const tPer = target.weights.data.length / N;
  const rows = model.fixedBatch ?? N;
  const score = async (data: Float32Array) => {
    const values: number[] = [];
    for (let start = 0; start < N; start += rows) {
      const count = Math.min(rows, N - start);
      // A fixed batch dimension larger than what is left: zero rows pad it (their values are ignored).
      const feed = new Float32Array(rows * per);
      feed.set(data.subarray(start * per, (start + count) * per));
      const out = await session.run({ [model.inputName]: new ort.Tensor('float32', feed, [rows, ...input.dims.slice(1)]) }, [target.tensor]);
      const t = out[target.tensor];
      values.push(...perItemDot((t.data as Float32Array).subarray(0, count * tPer), target.weights.data.subarray(start * tPer, (start + count) * tPer), count));
      t.dispose();
    }
    return values;
  };
  return { fx: await score(input.data), fBaseline: await score(baseline) };
}

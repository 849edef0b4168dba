/**
 * Integrated Gradients (Sundararajan et al. 2017): (x − x′) ⊙ ∫₀¹ ∇f(x′ + α(x − x′)) dα with Captum's quadrature
 * rules, the interpolation points run in batches through the compiled gradient graph. Reports the completeness gap
 * Σ attribution − (f(x) − f(x′)) per item (0 for the exact integral).
 */
import type { ExplainResult } from '../../protocol/types';
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

/** Interpolation points per graph run. */
const MAX_BATCH = 16;

async function run(ctx: MethodRunContext, p: ParamsOf<typeof PARAMS>): Promise<ExplainResult> {
  const t0 = performance.now();
  const { model, input } = ctx;
  const N = input.dims[0];
  const per = input.data.length / N;
  const { alphas, weights } = integrationPoints(p['ig-rule'], p.steps);
  const baseline = baselineFor(p.baseline, model, input, p.seed);
  const target = await resolveFor(model, input.dims, ctx.target);
  const B = model.fixedBatch ?? Math.min(MAX_BATCH, alphas.length + 2);
  const runner = await Runner.open(model, 'gradient', target.tensor, [B, ...input.dims.slice(1)]);
  const tPer = target.weights.data.length / N;
  const setupMs = performance.now() - t0;
  const relevance = new Float32Array(input.data.length);
  const gap: number[] = [];
  const fx: number[] = [];
  const batchX = new Float32Array(B * per);
  const batchW = new Float32Array(B * tPer);
  // Points of item n: the path's α_k, then x itself (α = 1) and the baseline (α = 0) for f(x) − f(x′).
  for (let n = 0; n < N; n++) {
    const x = input.data.subarray(n * per, (n + 1) * per);
    const x0 = baseline.subarray(n * per, (n + 1) * per);
    const w = target.weights.data.subarray(n * tPer, (n + 1) * tPer);
    const points = [...alphas, 1, 0];
    const sum = new Float64Array(per);
    const ends: number[] = [];
    for (let start = 0; start < points.length; start += B) {
      if (ctx.token.isCancellationRequested) throw cancelled();
      const chunk = points.slice(start, start + B);
      batchW.fill(0);
      chunk.forEach((a, j) => {
        for (let i = 0; i < per; i++) batchX[j * per + i] = x0[i] + a * (x[i] - x0[i]);
        batchW.set(w, j * tPer);
      });
      const { grad, target: values } = await runner.run(batchX, batchW);
      const f = perItemDot(values, batchW, B);
      chunk.forEach((_, j) => {
        const k = start + j;
        if (k < alphas.length) for (let i = 0; i < per; i++) sum[i] += weights[k] * grad[j * per + i];
        else ends.push(f[j]);
      });
      ctx.progress({ fraction: (n + Math.min(1, (start + B) / points.length)) / N });
    }
    let total = 0;
    for (let i = 0; i < per; i++) {
      const v = (x[i] - x0[i]) * sum[i];
      relevance[n * per + i] = v;
      total += v;
    }
    gap.push(total - (ends[0] - ends[1]));
    fx.push(ends[0]);
  }
  return {
    method: 'integrated-gradients',
    relevance: { data: relevance, dims: input.dims },
    targetValue: fx,
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

/**
 * Representation inversion (Mahendran & Vedaldi 2015): x* = argmin ‖Φ(x) − Φ₀‖²/‖Φ₀‖² + λα·Nα(x) + λTV·N_TV(x), with
 * Nα = Σ|x|^α / (H·W·B^α) and N_TV = TV_β / (H·W·V^β). B is half the model-input range of a pixel (the normalised [0,1]
 * box, ≈ 2.2 for ImageNet statistics) and V = B/6.5, their choices transposed to model-input units. One ORT run per
 * step: the compiled 'feature-match' graph seeds the backward pass with Φ(x) − Φ₀ (fed as the target weighting), so
 * it returns ∇½‖Φ − Φ₀‖² and Φ(x) together. Pixel parameterisation, clipped to the valid pixel box each step; the
 * learning rate drops ×0.1 at 70 % and again at 90 % of the steps (their schedule drops it twice).
 */
import type { ExplainResult } from '../../protocol/types';
import type { MethodRunContext } from '../methods/run-context';
import { invalidParams } from '../errors';
import { pixelBounds } from '../preprocess';
import { optimiseImage } from './optimise-loop';
import { makeParam } from './param';
import { regularize } from './regularizers';
import { Rng } from './rng';
import { Runner } from './session';
import { perItemSquaredNorm } from '../batch-math';
import { optParams, regParams, regSettings } from './activation-max';
import { layer, type ParamsOf } from '../methods/params';

export const INVERT_PARAMS = [
  layer('layer', 'Layer', { required: true, help: 'the tensor Φ whose value to match' }),
  ...optParams({ steps: 200, lr: 0.05 }),
  ...regParams({ lpWeight: 1e-4, lpAlpha: 6, tvWeight: 1e-3, tvBeta: 2 }),
] as const;

export type InvertParams = ParamsOf<typeof INVERT_PARAMS>;

/** Learning rate lr0, then ×0.1 from 70 % and ×0.01 from 90 % of the steps. */
function schedule(lr0: number, steps: number): (step: number) => number {
  return (step) => (step >= 0.9 * steps ? lr0 * 0.01 : step >= 0.7 * steps ? lr0 * 0.1 : lr0);
}

export async function invert(ctx: MethodRunContext, p: InvertParams): Promise<ExplainResult> {
  const t0 = performance.now();
  const { layer } = p;
  const dims = ctx.input.dims;
  if (dims.length !== 4) throw invalidParams(`inversion needs an image input (N, C, H, W); got [${dims.join(', ')}]`);
  const runner = await Runner.open(ctx.model, 'feature-match', layer, dims);
  const compileMs = performance.now() - t0;
  const n = dims[0];
  const phi0 = (await runner.run(ctx.input.data)).target;
  const norm0 = perItemSquaredNorm(phi0, n);
  if (norm0.some((v) => v === 0)) throw invalidParams(`'${layer}' is all zeros for this input; its representation cannot be inverted`);

  const pre = ctx.model.preprocessing();
  const bounds = pixelBounds(pre);
  const B = bounds.high.reduce((a, h, i) => a + (h - bounds.low[i]) / 2, 0) / bounds.high.length;
  const V = B / 6.5;
  const param = makeParam({ dims, pre, fourier: false, decorrelate: false, rng: new Rng(p.seed), initStd: 0.01, bounds });
  const reg = regSettings(p);
  const errorTrace: number[] = [];
  const runStart = performance.now();
  const diff = new Float32Array(phi0.length);
  const objective = await optimiseImage({
    param, dims, steps: p.steps, every: p.every, optimizer: p.optimizer, lr: schedule(p.lr, p.steps), token: ctx.token, progress: (q) => ctx.progress(q),
  }, {
    evaluate: async (x) => {
      // Φ(x) is needed for the seed Φ(x) − Φ₀, so the weighting fed is Φ₀ and the graph computes Φ(x) − weighting.
      const { grad, target: phi } = await runner.run(x, phi0);
      for (let i = 0; i < phi.length; i++) diff[i] = phi[i] - phi0[i];
      const errs = perItemSquaredNorm(diff, n).map((v, b) => v / norm0[b]);
      const per = grad.length / n;
      const g = new Float32Array(grad.length);
      for (let i = 0; i < grad.length; i++) g[i] = (2 * grad[i]) / norm0[Math.floor(i / per)];
      const r = regularize(x, dims, reg, g, B, V);
      errorTrace.push(Math.sqrt(errs.reduce((a, v) => a + v, 0) / n));
      return { value: errs.reduce((a, v) => a + v, 0) + r, grad: g };
    },
    describe: (step) => `step ${step + 1}/${p.steps}: feature error ${errorTrace[step].toFixed(4)}`,
  });
  const final = Float32Array.from(param.image());
  const { target: phi } = await runner.run(final, phi0);
  for (let i = 0; i < phi.length; i++) diff[i] = phi[i] - phi0[i];
  const featureError = perItemSquaredNorm(diff, n).map((v, b) => Math.sqrt(v / norm0[b]));
  return {
    method: 'invert', relevance: { data: final, dims }, targetValue: featureError, targetTensor: layer,
    timings: { compileMs, runMs: performance.now() - runStart },
    extras: { target: `representation at ${layer}`, feature_error: featureError, objective, error_trace: errorTrace },
  };
}

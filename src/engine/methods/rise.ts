/**
 * RISE (Petsiuk et al. 2018): the input times N random smooth masks (attribution/rise-masks.ts), each masked copy
 * scored (the target class's softmax probability for a class target, the raw target value otherwise); the
 * saliency is Σ_i score_i·M_i / (N·p). Every item gets the same seeded masks; batched forward passes, partial maps
 * streamed through progress (normalised by the masks done so far), cancellable. The default 1000 masks took 22 s on
 * the embedded EfficientNet-Lite0 (224², batches of 16) on two CPU cores that other jobs were also using; the paper
 * used 4000–8000.
 */
import type { ExplainResult } from '../../protocol/types';
import { openScorer } from '../attribution/forward-scores';
import { RiseMasks } from '../attribution/rise-masks';
import { cancelled, invalidInput, paramError } from '../errors';
import { integer, number, type ParamsOf } from './params';
import { runMethod } from './types';
import type { MethodRunContext } from './run-context';

const PARAMS = [
  integer('masks', 'Masks', { default: 1000, min: 1, max: 100000, help: 'random masks N (more: smoother, slower)' }),
  integer('cells', 'Cells', { default: 7, min: 1, max: 64, help: 'mask grid s×s before upsampling' }),
  number('p', 'Keep probability', { default: 0.5, min: 0.01, max: 1, step: 0.05, help: 'probability p that a grid cell is kept' }),
  integer('seed', 'Seed', { default: 0, min: 0, max: 4294967295, help: 'seed of the masks' }),
  integer('batch', 'Batch', { default: 0, min: 0, help: 'masked inputs per forward pass (0 = automatic)' }),
] as const;

/** Minimum time between partial maps sent through progress (the last one is always sent). */
const PARTIAL_INTERVAL_MS = 100;

async function run(ctx: MethodRunContext, p: ParamsOf<typeof PARAMS>): Promise<ExplainResult> {
  const t0 = performance.now();
  if (ctx.input.dims.length !== 4) throw invalidInput(`rise needs an image input (N, C, H, W); this one has shape [${ctx.input.dims.join(', ')}]`);
  const scorer = await openScorer(ctx, p.batch, p.masks);
  const [N, C, H, W] = scorer.view.dims;
  if (p.cells > Math.min(H, W)) throw paramError('cells', `must be at most the input's smaller side (${Math.min(H, W)}), got ${p.cells}`);
  const plane = H * W;
  const per = C * plane;
  const B = scorer.rows;
  const setupMs = performance.now() - t0;
  const loopStart = performance.now();
  const batch = new Float32Array(B * per);
  const masks = Array.from({ length: B }, () => new Float32Array(plane));
  const sums = Array.from({ length: N }, () => new Float64Array(plane));
  const partial = new Float32Array(N * plane).fill(Number.NaN);
  let lastPartial = -Infinity;
  for (let n = 0; n < N; n++) {
    const gen = new RiseMasks({ cells: p.cells, p: p.p, seed: p.seed, height: H, width: W });
    const x = scorer.view.data.subarray(n * per, (n + 1) * per);
    const sum = sums[n];
    for (let start = 0; start < p.masks; start += B) {
      if (ctx.token.isCancellationRequested) throw cancelled();
      const count = Math.min(B, p.masks - start);
      for (let r = 0; r < count; r++) {
        const m = gen.next(masks[r]);
        for (let c = 0; c < C; c++) {
          const o = r * per + c * plane;
          for (let i = 0; i < plane; i++) batch[o + i] = x[c * plane + i] * m[i];
        }
      }
      const scores = await scorer.score(batch, count, n);
      for (let r = 0; r < count; r++) {
        const m = masks[r], s = scores[r];
        for (let i = 0; i < plane; i++) sum[i] += s * m[i];
      }
      const done = n * p.masks + start + count;
      const now = performance.now();
      // Always at an item's end, so the last partial map is the result.
      const send = start + count === p.masks || now - lastPartial >= PARTIAL_INTERVAL_MS;
      if (send) {
        lastPartial = now;
        const k = start + count;
        for (let i = 0; i < plane; i++) partial[n * plane + i] = sum[i] / (k * p.p);
      }
      const elapsed = now - loopStart;
      ctx.progress({
        fraction: done / (N * p.masks), etaMs: (elapsed / done) * (N * p.masks - done), message: `rise: ${done}/${N * p.masks} masks`,
        ...(send ? { partial: { data: Float32Array.from(partial), dims: [N, 1, H, W] } } : {}),
      });
    }
  }
  const relevance = new Float32Array(N * plane);
  for (let n = 0; n < N; n++) for (let i = 0; i < plane; i++) relevance[n * plane + i] = sums[n][i] / (p.masks * p.p);
  return {
    method: 'rise',
    relevance: { data: relevance, dims: [N, 1, H, W] },
    targetValue: scorer.cleanValue,
    targetTensor: scorer.tensor,
    timings: { compileMs: setupMs, runMs: performance.now() - loopStart },
    extras: { target: scorer.description, score: scorer.kind, clean_score: scorer.cleanScore, batch: [B] },
  };
}

export const method = runMethod({
  id: 'rise',
  title: 'RISE',
  family: 'occlusion',
  output: 'map',
  summary: 'Petsiuk et al. 2018: the mean of random smooth masks weighted by the target score (class probability; raw value for other targets) of the masked input.',
  params: PARAMS,
  needs: 'forward',
  run,
});

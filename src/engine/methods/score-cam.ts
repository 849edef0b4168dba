/**
 * Score-CAM (Wang et al. 2020) as pytorch-grad-cam's ScoreCAM: each channel A_k of the layer, upsampled to the
 * input (bilinear, align_corners=True) and min-max normalised to [0, 1], masks the input; the target scores of the
 * masked copies (softmax probability for a class target, the raw target value otherwise) give the channel weights
 * w = softmax_k(score_k), and the map is ReLU(Σ_k w_k A_k), upsampled (half-pixel bilinear, as Grad-CAM's). Forward
 * passes only, batched: one per channel (the embedded EfficientNet-Lite0's 1280 channels took 32 s on two shared
 * CPU cores).
 */
import type { ExplainResult } from '../../protocol/types';
import { openScorer } from '../attribution/forward-scores';
import { layerActivation } from '../attribution/layer-view';
import { resizePlane } from '../attribution/bilinear';
import { cancelled, invalidInput } from '../errors';
import { integer, layer, type ParamsOf } from './params';
import { runMethod } from './types';
import type { MethodRunContext } from './run-context';

const PARAMS = [
  layer('layer', 'Layer', { help: 'feature map whose channels mask the input (default: the last before global pooling)' }),
  integer('batch', 'Batch', { default: 0, min: 0, help: 'masked inputs per forward pass (0 = automatic)' }),
] as const;

/** pytorch-grad-cam's guard against a constant channel in the min-max normalisation. */
const NORM_EPS = 1e-8;

async function run(ctx: MethodRunContext, p: ParamsOf<typeof PARAMS>): Promise<ExplainResult> {
  const t0 = performance.now();
  if (ctx.input.dims.length !== 4) throw invalidInput(`score-cam needs an image input (N, C, H, W); this one has shape [${ctx.input.dims.join(', ')}]`);
  const { layer: name, A } = await layerActivation(ctx, p.layer);
  const [N, K, h, w] = A.dims;
  const scorer = await openScorer(ctx, p.batch, N * K);
  const [, C, H, W] = scorer.view.dims;
  const plane = H * W;
  const per = C * plane;
  const setupMs = performance.now() - t0;
  const B = scorer.rows;
  const batch = new Float32Array(B * per);
  const mask = new Float32Array(plane);
  const relevance = new Float32Array(N * plane);
  const weightsOut = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    const x = scorer.view.data.subarray(n * per, (n + 1) * per);
    const scores = new Float64Array(K);
    for (let start = 0; start < K; start += B) {
      if (ctx.token.isCancellationRequested) throw cancelled();
      const count = Math.min(B, K - start);
      for (let r = 0; r < count; r++) {
        const k = start + r;
        resizePlane(A.data.subarray((n * K + k) * h * w, (n * K + k + 1) * h * w), h, w, H, W, 'align-corners', mask);
        let lo = Infinity, hi = -Infinity;
        for (let i = 0; i < plane; i++) { lo = Math.min(lo, mask[i]); hi = Math.max(hi, mask[i]); }
        const scale = 1 / (hi - lo + NORM_EPS);
        for (let c = 0; c < C; c++) {
          const o = r * per + c * plane;
          for (let i = 0; i < plane; i++) batch[o + i] = x[c * plane + i] * (mask[i] - lo) * scale;
        }
      }
      const s = await scorer.score(batch, count, n);
      s.forEach((v, r) => (scores[start + r] = v));
      ctx.progress({ fraction: (n * K + start + count) / (N * K), message: `score-cam: ${start + count}/${K} channels` });
    }
    // Softmax over the channels' scores.
    const max = Math.max(...scores);
    let z = 0;
    const wk = Array.from(scores, (v) => { const e = Math.exp(v - max); z += e; return e; });
    const cam = new Float64Array(h * w);
    for (let k = 0; k < K; k++) {
      weightsOut[n * K + k] = wk[k] / z;
      const a = A.data.subarray((n * K + k) * h * w, (n * K + k + 1) * h * w);
      for (let i = 0; i < h * w; i++) cam[i] += (wk[k] / z) * a[i];
    }
    for (let i = 0; i < h * w; i++) cam[i] = Math.max(0, cam[i]);
    relevance.set(resizePlane(cam, h, w, H, W, 'half-pixel'), n * plane);
  }
  return {
    method: 'score-cam',
    relevance: { data: relevance, dims: [N, 1, H, W] },
    targetValue: scorer.cleanValue,
    targetTensor: scorer.tensor,
    timings: { compileMs: setupMs, runMs: performance.now() - t0 - setupMs },
    extras: { target: scorer.description, layer: name, score: scorer.kind, channel_weights: { data: weightsOut, dims: [N, K] }, batch: [B] },
  };
}

export const method = runMethod({
  id: 'score-cam',
  title: 'Score-CAM',
  family: 'cam',
  output: 'map',
  summary: 'Wang et al. 2020: channels weighted by the softmax of the target scores (class probability; raw value for other targets) of the input masked by each channel.',
  params: PARAMS,
  needs: 'layer-activation',
  run,
});

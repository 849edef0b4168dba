/**
 * Pixel flipping / region perturbation (Samek et al. 2017): patches (patch × patch pixels, 1 = single pixels) are
 * replaced by the baseline in the order of their relevance (the map summed over each patch), most relevant first
 * (MoRF) and least relevant first (LeRF), ⌈P/K⌉ patches per step; AOPC = 1/(K+1) Σ_{k=0…K} f(x⁰) − f(x^k) for each.
 * Value: the MoRF AOPC (higher = more faithful); values: lerf_aopc and difference = MoRF − LeRF AOPC. The curve is
 * MoRF's.
 */
import { choice, integer } from '../methods/params';
import { defineMetric } from './types';
import { curveScores, descending, geometry, pixelRelevance, replacement, REPLACE_HELP, REPLACEMENTS } from './pixels';

/** The pixels of each patch in patch order, and the pixel count after each step. */
export function patchOrder(r: Float64Array, H: number, W: number, patch: number, steps: number, leastFirst: boolean): { order: Uint32Array; counts: number[] } {
  const rows = Math.ceil(H / patch), cols = Math.ceil(W / patch);
  const P = rows * cols;
  const score = new Float64Array(P);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) score[Math.floor(y / patch) * cols + Math.floor(x / patch)] += r[y * W + x];
  const patches = descending(leastFirst ? score.map((v) => -v) : score);
  const order = new Uint32Array(H * W);
  const after: number[] = [];
  let n = 0;
  for (const q of patches) {
    const y0 = Math.floor(q / cols) * patch, x0 = (q % cols) * patch;
    for (let y = y0; y < Math.min(H, y0 + patch); y++) for (let x = x0; x < Math.min(W, x0 + patch); x++) order[n++] = y * W + x;
    after.push(n);
  }
  const K = Math.min(steps, P);
  const per = Math.ceil(P / K);
  const counts = Array.from({ length: K + 1 }, (_, k) => (k === 0 ? 0 : after[Math.min(P, k * per) - 1]));
  return { order, counts };
}

export function aopc(y: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < y.length; k++) s += y[0] - y[k];
  return s / y.length;
}

export const metric = defineMetric({
  id: 'pixel-flipping',
  title: 'Pixel flipping (AOPC)',
  summary: 'Samek et al. 2017: flip patches most relevant first (MoRF) and least relevant first (LeRF); area over the perturbation curve, MoRF AOPC higher is better',
  better: 'higher',
  params: [
    integer('patch', 'Patch', { default: 8, min: 1, max: 1024, help: 'patch size in pixels (1 = single pixels)' }),
    integer('steps', 'Steps', { default: 100, min: 1, max: 65536, help: 'K: each step flips ⌈patches/K⌉ patches (at most one step per patch)' }),
    choice('order', 'Order', ['abs', 'signed'], { default: 'abs', help: 'rank by the map summed |·| over channels, or by its signed sum' }),
    choice('baseline', 'Baseline', REPLACEMENTS, { default: 'uniform', help: REPLACE_HELP }),
    integer('batch', 'Batch', { default: 0, min: 0, help: 'images per forward pass (0 = automatic)' }),
  ] as const,
  async compute(ctx, p) {
    const g = geometry(ctx);
    const r = pixelRelevance(ctx, ctx.explanation.relevance, g, p.order === 'signed');
    const base = replacement(p.baseline, ctx, g);
    const morf = patchOrder(r, g.H, g.W, p.patch, p.steps, false);
    const lerf = patchOrder(r, g.H, g.W, p.patch, p.steps, true);
    const yM = await curveScores(ctx, g, ctx.input.data, base, morf.order, morf.counts, p.batch, 0, 0.5);
    const yL = await curveScores(ctx, g, ctx.input.data, base, lerf.order, lerf.counts, p.batch, 0.5, 0.5);
    const m = aopc(yM), l = aopc(yL);
    const K = morf.counts.length - 1;
    return {
      value: m,
      values: { lerf_aopc: l, difference: m - l },
      curve: { x: morf.counts.map((_, k) => k / K), y: [...yM], xLabel: 'fraction of patches flipped (MoRF)', yLabel: 'target score' },
    };
  },
});

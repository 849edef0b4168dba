/**
 * What the perturbation metrics share: the item's pixel geometry in the model's layout, the map reduced to one
 * relevance per input pixel (upsampled like the panel when smaller), the replacement baselines, and the batched
 * curve: row k of the curve is `start` with the first counts[k] pixels of `order` taken from `source`, every row
 * built from the previous one in place, two batches alternating so one is filled while the other runs.
 */
import type { TensorData } from '../../protocol/types';
import type { MetricContext } from './types';
import { baselineFor, BASELINES, type BaselineKind } from '../attribution/baselines';
import { isChannelsLast, relevanceForDisplay } from '../layout';
import { toFrame } from '../../protocol/render';
import { batchSize } from '../occlusion/batching';
import { cancelled, invalidInput } from '../errors';

export type ReplaceKind = BaselineKind | 'mean';
export const REPLACEMENTS: readonly ReplaceKind[] = [...BASELINES, 'mean'];
export const REPLACE_HELP = 'zero tensor, black image, seeded uniform noise image, the input blurred (σ = 5 px), or the per-channel mean of the input';

/** Pixel p, channel c of the item lies at p * pixStride + c * chanStride. */
export interface Geometry { C: number; H: number; W: number; plane: number; per: number; pixStride: number; chanStride: number }

export function geometry(ctx: MetricContext): Geometry {
  const dims = ctx.input.dims;
  if (dims.length !== 3 && dims.length !== 4) throw invalidInput(`perturbation metrics need an input (N, C, H, W) or (N, C, L); this one has shape [${dims.join(', ')}]`);
  const last = isChannelsLast(dims, ctx.model.preprocessing().layout);
  const [C, H, W] = last ? [dims[3], dims[1], dims[2]] : dims.length === 3 ? [dims[1], 1, dims[2]] : [dims[1], dims[2], dims[3]];
  const plane = H * W;
  return { C, H, W, plane, per: C * plane, pixStride: last ? C : 1, chanStride: last ? 1 : plane };
}

/**
 * One relevance per input pixel (H·W, float64): the map's channels summed as |·| (or signed), a map of another
 * resolution (a CAM's (1, 1, h, w)) resampled bilinearly at pixel centres as the panel draws it.
 */
export function pixelRelevance(ctx: MetricContext, map: TensorData, g: Geometry, signed: boolean): Float64Array {
  const rel = relevanceForDisplay(map, ctx.input.dims, ctx.model.preprocessing().layout);
  const [, c, ...spatial] = rel.dims;
  const [h, w] = spatial.length === 1 ? [1, spatial[0]] : spatial;
  if (rel.dims.length !== ctx.input.dims.length || !h || !w) throw invalidInput(`the map has shape [${map.dims.join(', ')}], which is not an (N, C, …) map of this input`);
  const p = h * w;
  const sum = new Float32Array(p);
  for (let i = 0; i < p; i++) {
    let s = 0;
    for (let ch = 0; ch < c; ch++) s += signed ? rel.data[ch * p + i] : Math.abs(rel.data[ch * p + i]);
    sum[i] = s;
  }
  if (h === g.H && w === g.W) return Float64Array.from(sum);
  const frame = { width: g.W, height: g.H, x0: 0, y0: 0, x1: g.W, y1: g.H };
  return Float64Array.from(toFrame({ width: w, height: h, data: sum }, frame).data);
}

/** Pixel indices by descending relevance (ties by index, as a stable sort: NumPy's argsort(-r, kind='stable')). */
export function descending(r: Float64Array): Uint32Array {
  const order = Uint32Array.from(r.keys());
  return order.sort((a, b) => r[b] - r[a] || a - b);
}

/** The replacement values for the item (its layout): a baseline of attribution/baselines.ts or the channel means. */
export function replacement(kind: ReplaceKind, ctx: MetricContext, g: Geometry): Float32Array {
  if (kind !== 'mean') return baselineFor(kind, ctx.model, ctx.input, ctx.seed);
  const x = ctx.input.data;
  const out = new Float32Array(g.per);
  for (let c = 0; c < g.C; c++) {
    let s = 0;
    for (let p = 0; p < g.plane; p++) s += x[p * g.pixStride + c * g.chanStride];
    const m = s / g.plane;
    for (let p = 0; p < g.plane; p++) out[p * g.pixStride + c * g.chanStride] = m;
  }
  return out;
}

/**
 * Scores of the rows k = 0 … counts.length − 1: `start` with pixels order[0 … counts[k]) replaced by `source`.
 * `batch` rows per forward pass (0 = automatic). Progress reports `share` of the metric's work, from `offset`.
 */
export async function curveScores(ctx: MetricContext, g: Geometry, start: Float32Array, source: Float32Array, order: Uint32Array,
  counts: readonly number[], batch: number, offset = 0, share = 1): Promise<Float64Array> {
  const rows = counts.length;
  const auto = batchSize(batch, g.per, rows, ctx.model.fixedBatch);
  // Automatic batches of equal size (101 rows at most 16 a run: 7 runs of 15, not a last run of 5).
  const B = batch > 0 || ctx.model.fixedBatch ? auto : Math.ceil(rows / Math.ceil(rows / auto));
  const buffers = [new Float32Array(B * g.per), new Float32Array(B * g.per)];
  const state = Float32Array.from(start);
  const { C, pixStride, chanStride } = g;
  let done = 0;
  let built = 0;
  const build = (first: number): { buf: Float32Array; first: number; n: number } => {
    const buf = buffers[built++ % 2];
    const n = Math.min(B, rows - first);
    for (let r = 0; r < n; r++) {
      const to = counts[first + r];
      for (let i = done; i < to; i++) {
        const p = order[i] * pixStride;
        for (let c = 0; c < C; c++) state[p + c * chanStride] = source[p + c * chanStride];
      }
      done = Math.max(done, to);
      buf.set(state, r * g.per);
    }
    return { buf, first, n };
  };
  const out = new Float64Array(rows);
  let next: ReturnType<typeof build> | undefined = build(0);
  while (next) {
    if (ctx.token.isCancellationRequested) throw cancelled();
    const cur: { buf: Float32Array; first: number; n: number } = next;
    const running = ctx.score(cur.buf, cur.n);
    const end: number = cur.first + cur.n;
    next = end < rows ? build(end) : undefined;
    out.set(await running, cur.first);
    ctx.progress({ fraction: offset + share * (end / rows) });
  }
  return out;
}

/** Pixels replaced after each of the steps 0 … K when each step replaces ⌈HW/K⌉ (the last steps may be whole). */
export function stepCounts(plane: number, steps: number): number[] {
  const m = Math.ceil(plane / steps);
  return Array.from({ length: steps + 1 }, (_, k) => Math.min(plane, k * m));
}

/** ∫₀¹ y by the trapezoid rule over equally spaced x = k / K. */
export function trapezoid(y: ArrayLike<number>): number {
  const K = y.length - 1;
  let s = 0;
  for (let k = 0; k < K; k++) s += (y[k] + y[k + 1]) / 2;
  return s / K;
}

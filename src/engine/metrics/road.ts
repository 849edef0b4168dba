/**
 * ROAD (Rong et al. 2022, "A Consistent and Efficient Evaluation Strategy for Attribution Methods"): the pixels a
 * map ranks highest (MoRF) or lowest (LeRF) are removed at each percentage and filled by noisy linear imputation —
 * each removed pixel the weighted mean of its 8 neighbours (1/6 direct, 1/12 diagonal; removed neighbours are
 * unknowns too, so it is one sparse linear system per channel, solved here by multigrid-preconditioned conjugate
 * gradients in float64) plus N(0, noise²) (their NoisyLinearImputer: noise 0.01, input tensor units). The score
 * per percentage is the target's; the value is the mean MoRF score (lower = more faithful), values the mean LeRF
 * score and LeRF − MoRF.
 */
import { choice, number, text } from '../methods/params';
import { Rng } from '../reconstruct/rng';
import { cancelled, paramError } from '../errors';
import { defineMetric } from './types';
import { descending, geometry, pixelRelevance, type Geometry } from './pixels';
import { batchSize } from '../occlusion/batching';
import { GridSolver } from './sparse-solve';

const NEIGHBOURS: readonly [number, number, number][] = [
  [1, 1, 1 / 12], [0, 1, 1 / 6], [-1, 1, 1 / 12], [1, -1, 1 / 12], [0, -1, 1 / 6], [-1, -1, 1 / 12], [1, 0, 1 / 6], [-1, 0, 1 / 6],
];

/**
 * Linear imputation of the pixels with removed[p] = 1, every channel: the solution of v_i = Σ_j w_ij v_j / Σ_j w_ij
 * over the in-image neighbours j (known ones fixed), i.e. (D − W_uu) v = W_uk x, symmetric positive definite,
 * solved by multigrid-preconditioned CG (sparse-solve.ts). Returns the item with the imputed values (no noise).
 */
export function linearImpute(x: Float32Array, g: Geometry, removed: Uint8Array, tol = 1e-10): Float64Array {
  const { H, W, C, pixStride, chanStride } = g;
  const out = Float64Array.from(x);
  const index = new Int32Array(H * W).fill(-1);
  let n = 0;
  for (let p = 0; p < H * W; p++) if (removed[p]) index[p] = n++;
  if (n === 0) return out;
  const unknown = new Int32Array(n), ys = new Int32Array(n), xs = new Int32Array(n);
  for (let p = 0; p < H * W; p++) if (index[p] >= 0) { unknown[index[p]] = p; ys[index[p]] = Math.floor(p / W); xs[index[p]] = p % W; }
  // CSR of D − W_uu, and each unknown's known neighbours (the right-hand side W_uk x).
  const start = new Int32Array(n + 1), kStart = new Int32Array(n + 1);
  const col = new Int32Array(9 * n), val = new Float64Array(9 * n);
  const kIdx = new Int32Array(8 * n), kW = new Float64Array(8 * n);
  let nu = 0, nk = 0;
  for (let k = 0; k < n; k++) {
    start[k] = nu; kStart[k] = nk;
    const d = nu++;
    col[d] = k;
    for (const [dy, dx, w] of NEIGHBOURS) {
      const yy = ys[k] + dy, xn = xs[k] + dx;
      if (yy < 0 || yy >= H || xn < 0 || xn >= W) continue;
      val[d] += w;
      const q = yy * W + xn;
      if (index[q] >= 0) { col[nu] = index[q]; val[nu++] = -w; } else { kIdx[nk] = q; kW[nk++] = w; }
    }
  }
  start[n] = nu; kStart[n] = nk;
  const solver = new GridSolver({ n, start, col: col.subarray(0, nu), val: val.subarray(0, nu) }, ys, xs);
  const b = new Float64Array(n);
  for (let c = 0; c < C; c++) {
    for (let k = 0; k < n; k++) {
      let s = 0;
      for (let j = kStart[k]; j < kStart[k + 1]; j++) s += kW[j] * x[kIdx[j] * pixStride + c * chanStride];
      b[k] = s;
    }
    const v = solver.solve(b, tol);
    for (let k = 0; k < n; k++) out[unknown[k] * pixStride + c * chanStride] = v[k];
  }
  return out;
}

function percentages(text: string): number[] {
  const v = text.split(',').map((s) => Number(s.trim()));
  if (v.length === 0 || v.some((p) => !Number.isFinite(p) || p <= 0 || p >= 100)) throw paramError('percentages', `must be percentages between 0 and 100 (exclusive) separated by commas, got ${JSON.stringify(text)}`);
  return v;
}

export const metric = defineMetric({
  id: 'road',
  title: 'ROAD',
  summary: 'Rong et al. 2022: remove the most (MoRF) / least (LeRF) relevant pixels by noisy linear imputation; mean MoRF score, lower is better',
  better: 'lower',
  params: [
    text('percentages', 'Percentages', { default: '10,20,30,40,50,60,70,80,90', help: 'shares of the pixels removed, %' }),
    number('noise', 'Noise σ', { default: 0.01, min: 0, help: 'noise added to the imputed values, input tensor units' }),
    choice('order', 'Order', ['abs', 'signed'], { default: 'abs', help: 'rank by the map summed |·| over channels, or by its signed sum' }),
  ] as const,
  async compute(ctx, p) {
    const g = geometry(ctx);
    const pcts = percentages(p.percentages);
    const order = descending(pixelRelevance(ctx, ctx.explanation.relevance, g, p.order === 'signed'));
    const rows = 2 * pcts.length;
    const rng = new Rng(ctx.seed);
    const batch = new Float32Array(rows * g.per);
    // Rows: MoRF at each percentage, then LeRF; the noise is drawn in that order, channel by channel, pixels ascending.
    for (let row = 0; row < rows; row++) {
      if (ctx.token.isCancellationRequested) throw cancelled();
      const lerf = row >= pcts.length;
      const count = Math.floor((pcts[row % pcts.length] / 100) * g.plane);
      const removed = new Uint8Array(g.plane);
      for (let i = 0; i < count; i++) removed[lerf ? order[g.plane - 1 - i] : order[i]] = 1;
      const filled = linearImpute(ctx.input.data, g, removed);
      for (let c = 0; c < g.C; c++) for (let q = 0; q < g.plane; q++) if (removed[q]) filled[q * g.pixStride + c * g.chanStride] += p.noise * rng.normal();
      batch.set(filled, row * g.per);
      ctx.progress({ fraction: (0.5 * (row + 1)) / rows });
    }
    const B = batchSize(0, g.per, rows, ctx.model.fixedBatch);
    const y = new Float64Array(rows);
    for (let s = 0; s < rows; s += B) {
      if (ctx.token.isCancellationRequested) throw cancelled();
      const n = Math.min(B, rows - s);
      y.set(await ctx.score(batch.subarray(s * g.per, (s + n) * g.per), n), s);
      ctx.progress({ fraction: 0.5 + (0.5 * (s + n)) / rows });
    }
    const k = pcts.length;
    const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
    const morf = y.subarray(0, k), lerf = y.subarray(k);
    return {
      value: mean(morf),
      values: { lerf: mean(lerf), difference: mean(lerf) - mean(morf) },
      curve: { x: pcts.map((v) => v / 100), y: [...morf], xLabel: 'fraction of pixels removed (MoRF)', yLabel: 'target score' },
    };
  },
});

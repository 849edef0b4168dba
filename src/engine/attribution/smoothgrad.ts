/**
 * SmoothGrad (Smilkov et al. 2017) over any method whose map has the input's shape: the inner method's maps of
 * noisy copies x + ε, averaged (mean), their squares averaged (SmoothGrad²), or their variance (VarGrad, Adebayo
 * et al. 2018: mean of squares − square of the mean, as Captum's NoiseTunnel). The noise comes from a NoiseSource so
 * the tests can inject the reference's noise tensor; the method draws seeded Gaussian noise.
 */
import type { ExplainResult, ParamValues } from '../../protocol/types';
import type { MethodRunContext } from '../methods/run-context';
import { cancelled } from '../errors';
import { Rng } from '../reconstruct/rng';
import { itemTarget } from './item-target';

export type SmoothMode = 'mean' | 'square' | 'vargrad';

export interface SmoothGradOptions {
  of: string;
  innerParams: ParamValues;
  samples: number;
  mode: SmoothMode;
}

/** Writes the noise of sample `sample` of item `item` into `out` (one item's size); called in (item, sample) order. */
export type NoiseSource = (item: number, sample: number, out: Float32Array) => void;

/** Noisy copies per graph run (the clean input rides along as one extra row per item, for the target value). */
const MAX_BATCH = 8;

/** Seeded N(0, σ_n²) noise with σ_n = `level` × (max − min) of item n, drawn item by item, sample by sample. */
export function gaussianNoise(input: Float32Array, items: number, level: number, seed: number): { source: NoiseSource; sigmas: number[] } {
  const per = input.length / items;
  const sigmas: number[] = [];
  for (let n = 0; n < items; n++) {
    let lo = Infinity, hi = -Infinity;
    for (let i = n * per; i < (n + 1) * per; i++) { lo = Math.min(lo, input[i]); hi = Math.max(hi, input[i]); }
    sigmas.push(level * (hi - lo));
  }
  const rng = new Rng(seed);
  return { sigmas, source: (n, _s, out) => { for (let i = 0; i < out.length; i++) out[i] = sigmas[n] * rng.normal(); } };
}

/** Noise given as a tensor [items, samples, …item] (the reference's own draw). */
export function fixedNoise(noise: Float32Array, items: number, samples: number): NoiseSource {
  const per = noise.length / (items * samples);
  return (n, s, out) => out.set(noise.subarray((n * samples + s) * per, (n * samples + s + 1) * per));
}

export async function smoothGrad(ctx: MethodRunContext, o: SmoothGradOptions, noise: NoiseSource): Promise<ExplainResult> {
  const t0 = performance.now();
  const { input } = ctx;
  const N = input.dims[0];
  const per = input.data.length / N;
  const rowsPerItem = o.samples + 1;
  const fixed = ctx.model.fixedBatch;
  // Equal batches (one compiled shape); a fixed batch dimension pads with clean copies whose maps are dropped.
  const B = fixed ?? Math.ceil(rowsPerItem / Math.ceil(rowsPerItem / MAX_BATCH));
  const out = new Float32Array(input.data.length);
  const targetValue: number[] = [];
  const eps = new Float32Array(per);
  const descriptions: string[] = [];
  let targetTensor = '';
  let compileMs = 0;
  for (let n = 0; n < N; n++) {
    const x = input.data.subarray(n * per, (n + 1) * per);
    const sum = new Float64Array(per);
    const sumSq = new Float64Array(per);
    for (let start = 0; start < rowsPerItem; start += B) {
      if (ctx.token.isCancellationRequested) throw cancelled();
      const batch = new Float32Array(B * per);
      for (let r = 0; r < B; r++) {
        const s = start + r;
        const row = batch.subarray(r * per, (r + 1) * per);
        row.set(x);
        if (s >= o.samples) continue; // the clean row (s = samples) and padding
        noise(n, s, eps);
        for (let i = 0; i < per; i++) row[i] += eps[i];
      }
      const r = await ctx.explain(o.of, { data: batch, dims: [B, ...input.dims.slice(1)] }, itemTarget(ctx.target, n, N, B), o.innerParams);
      if (r.relevance.data.length !== B * per) throw new Error(`smoothgrad: '${o.of}' returned a map of shape [${r.relevance.dims.join(', ')}], not the input's`);
      for (let j = 0; j < B; j++) {
        const s = start + j;
        if (s === o.samples) targetValue.push(r.targetValue[j]);
        if (s >= o.samples) continue;
        const m = r.relevance.data.subarray(j * per, (j + 1) * per);
        for (let i = 0; i < per; i++) { sum[i] += m[i]; sumSq[i] += m[i] * m[i]; }
      }
      if (start === 0) descriptions.push(String(r.extras?.target ?? ''));
      compileMs += r.timings.compileMs;
      targetTensor = r.targetTensor;
      ctx.progress({ fraction: (n + Math.min(1, (start + B) / rowsPerItem)) / N, message: `smoothgrad: item ${n + 1}/${N}` });
    }
    for (let i = 0; i < per; i++) {
      const mean = sum[i] / o.samples;
      const sq = sumSq[i] / o.samples;
      out[n * per + i] = o.mode === 'mean' ? mean : o.mode === 'square' ? sq : sq - mean * mean;
    }
  }
  const runMs = performance.now() - t0 - compileMs;
  return {
    method: 'smoothgrad',
    relevance: { data: out, dims: input.dims },
    targetValue,
    targetTensor,
    timings: { compileMs, runMs },
    extras: { target: [...new Set(descriptions)].join(', '), of: o.of, mode: o.mode, samples: [o.samples] },
  };
}

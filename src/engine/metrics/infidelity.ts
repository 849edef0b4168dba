/**
 * Infidelity (Yeh et al. 2019) as Captum's `infidelity` computes it: E_I[(I · Φ − (f(x) − f(x − I)))²] over `samples`
 * Gaussian perturbations I ~ N(0, noise²) per input element (input tensor units, seeded), f the evaluator's target
 * score. With `normalize` (the default here; Captum's default is off) Φ is first scaled by the β that minimises it,
 * which makes the value independent of the map's scale — needed because f is a probability while most maps explain
 * the logit. Lower is better.
 */
import { boolean, integer, number } from '../methods/params';
import { Rng } from '../reconstruct/rng';
import { cancelled } from '../errors';
import { defineMetric } from './types';
import { elementwise } from './perturb';
import { batchSize } from '../occlusion/batching';

export const metric = defineMetric({
  id: 'infidelity',
  title: 'Infidelity',
  summary: 'Yeh et al. 2019 (Captum): mean squared error between Φ · I and f(x) − f(x − I) for Gaussian perturbations I; lower is better',
  better: 'lower',
  params: [
    integer('samples', 'Samples', { default: 32, min: 1, max: 4096, help: 'perturbations drawn' }),
    number('noise', 'Noise σ', { default: 0.1, min: 0, help: 'standard deviation of the perturbation, input tensor units' }),
    boolean('normalize', 'Normalise', { default: true, help: "scale the map by the β minimising infidelity (Captum's normalize)" }),
    integer('batch', 'Batch', { default: 0, min: 0, help: 'perturbed inputs per forward pass (0 = automatic)' }),
  ] as const,
  async compute(ctx, p) {
    const x = ctx.input.data;
    const per = x.length;
    const phi = elementwise(ctx, ctx.explanation.relevance);
    const [fx] = await ctx.score(x, 1);
    const rng = new Rng(ctx.seed);
    const S = p.samples;
    const B = batchSize(p.batch, per, S, ctx.model.fixedBatch);
    const dots = new Float64Array(S);
    const diffs = new Float64Array(S);
    const buf = new Float32Array(B * per);
    for (let s0 = 0; s0 < S; s0 += B) {
      if (ctx.token.isCancellationRequested) throw cancelled();
      const n = Math.min(B, S - s0);
      for (let r = 0; r < n; r++) {
        let dot = 0;
        for (let i = 0; i < per; i++) {
          const e = p.noise * rng.normal();
          dot += e * phi[i];
          buf[r * per + i] = x[i] - e;
        }
        dots[s0 + r] = dot;
      }
      const f = await ctx.score(buf, n);
      for (let r = 0; r < n; r++) diffs[s0 + r] = fx - f[r];
      ctx.progress({ fraction: (s0 + n) / S });
    }
    let num = 0, den = 0;
    for (let s = 0; s < S; s++) { num += dots[s] * diffs[s]; den += dots[s] ** 2; }
    const beta = p.normalize ? (den === 0 ? 0 : num / den) : 1;
    let inf = 0;
    for (let s = 0; s < S; s++) inf += (beta * dots[s] - diffs[s]) ** 2;
    return { value: inf / S, values: { beta } };
  },
});

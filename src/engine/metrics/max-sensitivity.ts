/**
 * Max-sensitivity (Yeh et al. 2019) as Captum's `sensitivity_max` computes it with its default Frobenius norm:
 * max over `samples` perturbations δ ~ U(−radius, radius) per input element (seeded, input tensor units) of
 * ‖Φ(x + δ) − Φ(x)‖ / ‖Φ(x)‖, each Φ(x + δ) a fresh explanation by the method with the same target. Lower is better.
 */
import { integer, number } from '../methods/params';
import { Rng } from '../reconstruct/rng';
import { cancelled } from '../errors';
import { defineMetric } from './types';
import { batchSize } from '../occlusion/batching';

export const metric = defineMetric({
  id: 'max-sensitivity',
  title: 'Max-sensitivity',
  summary: "Yeh et al. 2019 (Captum's sensitivity_max): the largest relative change of the map under small uniform input perturbations; lower is better",
  better: 'lower',
  params: [
    integer('samples', 'Samples', { default: 10, min: 1, max: 1024, help: 'perturbations drawn' }),
    number('radius', 'Radius', { default: 0.02, min: 0, help: 'L∞ radius of the perturbation, input tensor units' }),
    integer('batch', 'Batch', { default: 0, min: 0, help: 'perturbed inputs explained per run (0 = automatic)' }),
  ] as const,
  async compute(ctx, p) {
    const x = ctx.input.data;
    const per = x.length;
    const phi = ctx.explanation.relevance.data;
    const m = phi.length;
    let norm = 0;
    for (const v of phi) norm += v * v;
    norm = Math.sqrt(norm);
    const rng = new Rng(ctx.seed);
    const S = p.samples;
    const B = batchSize(p.batch, per, S, ctx.model.fixedBatch);
    let max = 0;
    const all: number[] = [];
    for (let s0 = 0; s0 < S; s0 += B) {
      if (ctx.token.isCancellationRequested) throw cancelled();
      const n = Math.min(B, S - s0);
      const buf = new Float32Array(n * per);
      for (let r = 0; r < n; r++) for (let i = 0; i < per; i++) buf[r * per + i] = x[i] + rng.uniform(-p.radius, p.radius);
      const maps = await ctx.explain({ data: buf, dims: [n, ...ctx.input.dims.slice(1)] });
      for (let r = 0; r < n; r++) {
        let d = 0;
        for (let i = 0; i < m; i++) d += (maps.data[r * m + i] - phi[i]) ** 2;
        const ratio = norm > 0 ? Math.sqrt(d) / norm : Math.sqrt(d);
        all.push(ratio);
        max = Math.max(max, ratio);
      }
      ctx.progress({ fraction: (s0 + n) / S });
    }
    return { value: max, values: { mean: all.reduce((a, v) => a + v, 0) / all.length } };
  },
});

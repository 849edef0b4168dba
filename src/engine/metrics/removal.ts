/**
 * Deletion and insertion (Petsiuk et al. 2018, RISE): K steps, each removing (deletion: replaced by the baseline)
 * or revealing (insertion: starting from the baseline) ⌈HW/K⌉ more pixels, most relevant first; the curve is the
 * target's score at steps 0 … K and the value its area by the trapezoid rule over [0, 1].
 */
import { boolean, choice, integer } from '../methods/params';
import { defineMetric, type Metric } from './types';
import { curveScores, descending, geometry, pixelRelevance, replacement, REPLACE_HELP, REPLACEMENTS, stepCounts, trapezoid, type ReplaceKind } from './pixels';

export function removalMetric(kind: 'deletion' | 'insertion', defaultBaseline: ReplaceKind, summary: string): Metric {
  const insertion = kind === 'insertion';
  return defineMetric({
    id: kind,
    title: insertion ? 'Insertion' : 'Deletion',
    summary,
    better: insertion ? 'higher' : 'lower',
    params: [
      integer('steps', 'Steps', { default: 100, min: 1, max: 4096, help: 'K: each step changes ⌈HW/K⌉ pixels' }),
      choice('order', 'Order', ['abs', 'signed'], { default: 'abs', help: 'rank pixels by the map summed |·| over channels, or by its signed sum' }),
      choice('baseline', 'Baseline', REPLACEMENTS, { default: defaultBaseline, help: REPLACE_HELP }),
      integer('batch', 'Batch', { default: 0, min: 0, help: 'images per forward pass (0 = automatic)' }),
      boolean('curve', 'Curve', { default: true, help: 'report the curve (not only its area)' }),
    ] as const,
    async compute(ctx, p) {
      const g = geometry(ctx);
      const order = descending(pixelRelevance(ctx, ctx.explanation.relevance, g, p.order === 'signed'));
      const base = replacement(p.baseline, ctx, g);
      const counts = stepCounts(g.plane, p.steps);
      const y = insertion ? await curveScores(ctx, g, base, ctx.input.data, order, counts, p.batch)
        : await curveScores(ctx, g, ctx.input.data, base, order, counts, p.batch);
      const auc = trapezoid(y);
      return {
        value: auc,
        values: { initial: y[0], final: y[y.length - 1] },
        ...(p.curve ? { curve: { x: counts.map((_, k) => k / p.steps), y: [...y], xLabel: `fraction of pixels ${insertion ? 'inserted' : 'deleted'}`, yLabel: 'target score' } } : {}),
      };
    },
  });
}

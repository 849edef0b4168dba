/**
 * Completeness (Sundararajan et al. 2017): Integrated Gradients' attributions sum to f(x) − f(x′); the value is the
 * gap Σ attribution − (f(x) − f(x′)) on the raw target (Captum's convergence delta), as the method reports it.
 */
import { defineMetric } from './types';
import { invalidParams } from '../errors';

export const metric = defineMetric({
  id: 'completeness',
  title: 'Completeness',
  summary: 'Integrated Gradients: Σ attribution − (f(x) − f(baseline)), 0 for the exact path integral',
  better: 'none',
  params: [] as const,
  notApplicable: (method) => (method === 'integrated-gradients' ? undefined : 'completeness holds for path methods (integrated-gradients) only'),
  async compute(ctx) {
    const gap = ctx.explanation.extras?.completeness_gap;
    if (!Array.isArray(gap) || typeof gap[0] !== 'number') throw invalidParams(`'${ctx.method}' reports no completeness gap`);
    let sum = 0;
    for (const v of ctx.explanation.relevance.data) sum += v;
    const delta = sum - gap[0];
    return { value: gap[0], values: { sum, difference: delta, relative: gap[0] / Math.abs(delta) } };
  },
});

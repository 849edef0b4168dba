/**
 * Conservation (Bach et al. 2015; Montavon et al. 2019): LRP redistributes the target value, so the relevance at the
 * input sums to it (exactly for ε → 0 without biases; biases and ε absorb some). Value: Σ relevance ÷ target value;
 * values: the sum, the target and the gap Σ relevance − target.
 */
import { defineMetric } from './types';

export const metric = defineMetric({
  id: 'conservation',
  title: 'Conservation',
  summary: 'LRP: Σ input relevance ÷ the target value (1 = conserved)',
  better: 'none',
  params: [] as const,
  notApplicable: (method) => (method.startsWith('lrp-') ? undefined : 'conservation holds for the LRP methods (lrp-*) only'),
  async compute(ctx) {
    let sum = 0;
    for (const v of ctx.explanation.relevance.data) sum += v;
    const target = ctx.explanation.targetValue[0];
    return { value: sum / target, values: { sum, target, gap: sum - target } };
  },
});

/**
 * Insertion (Petsiuk et al. 2018): the target's score as the most relevant pixels are revealed on a baseline; starts
 * from the blurred image by default, as RISE does; higher AUC = more faithful.
 */
import { removalMetric } from './removal';

export const metric = removalMetric('insertion', 'blur',
  'Petsiuk et al. 2018: reveal the most relevant pixels first, starting from the baseline (blurred image by default, as RISE); area under the score curve, higher is better');

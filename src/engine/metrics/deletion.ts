/** Deletion (Petsiuk et al. 2018): the target's score as the most relevant pixels are replaced by a baseline; lower AUC = more faithful. */
import { removalMetric } from './removal';

export const metric = removalMetric('deletion', 'zero',
  'Petsiuk et al. 2018: remove the most relevant pixels first (replaced by the baseline); area under the score curve, lower is better');

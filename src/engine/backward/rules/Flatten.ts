/** Flatten: only relabels elements; the signal is reshaped back to the input's shape. */
import { reshapeLike } from './shared';

export const rule = reshapeLike('Flatten', 'global');

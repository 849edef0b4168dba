/** Dropout: the identity at inference; the signal passes unchanged. */
import { identity } from './shared';

export const rule = identity('Dropout');

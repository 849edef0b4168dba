/** Max: see selection.ts (signal to the largest input, ties split equally; Max(x, c) is ReLU-like). */
import { selection } from './selection';

export const rule = selection('Max');

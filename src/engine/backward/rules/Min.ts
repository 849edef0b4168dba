/** Min: see selection.ts (signal to the smallest input, ties split equally; Min(x, c) is ReLU-like). */
import { selection } from './selection';

export const rule = selection('Min');

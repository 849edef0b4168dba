import type { RunMethod } from './types';
import { patchReplace, PATCH_PARAMS, type PatchParams } from '../reconstruct/patch-replace';

export const method: RunMethod = {
  kind: 'run',
  id: 'patch-replace',
  title: 'Nearest-neighbour patch replacement',
  family: 'reconstruction',
  needs: 'forward',
  output: 'image',
  summary: 'Long, Zhang & Darrell 2014: each position\'s receptive-field patch replaced by the average of its k nearest database patches in feature space.',
  params: PATCH_PARAMS,
  // The engine validated params against the schema and filled every default (parseParams) before a method runs.
  run: (ctx, p) => patchReplace(ctx, p as PatchParams),
};

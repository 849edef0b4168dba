import { runMethod } from './types';
import { patchReplace, PATCH_PARAMS } from '../reconstruct/patch-replace';

export const method = runMethod({
  id: 'patch-replace',
  title: 'Nearest-neighbour patch replacement',
  family: 'reconstruction',
  needs: 'forward',
  output: 'image',
  summary: 'Long, Zhang & Darrell 2014: each position\'s receptive-field patch replaced by the average of its k nearest database patches in feature space.',
  params: PATCH_PARAMS,
  run: patchReplace,
});

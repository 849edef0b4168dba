import { preset } from './presets';

export const method = preset('gradient', 'Gradient (saliency)',
  'Simonyan et al. 2013: the gradient of the target with respect to the input.', 'gradient', 'gradient');

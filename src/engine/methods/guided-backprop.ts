import { preset } from './presets';

export const method = preset('guided-backprop', 'Guided backpropagation',
  'Springenberg et al. 2014: ReLUs pass positive signal only where the forward input was positive.', 'guided', 'gradient');

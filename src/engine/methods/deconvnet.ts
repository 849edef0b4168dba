import { preset } from './presets';

export const method = preset('deconvnet', 'Deconvnet',
  'Zeiler & Fergus 2013: ReLUs pass only the positive part of the signal, ignoring the forward activation.', 'deconvnet', 'gradient');

import { preset } from './presets';

export const method = preset('input-x-gradient', 'Input × gradient',
  'The input times its gradient; equals LRP-0 on ReLU networks without biases.', 'gradient', 'gradient', [], true);

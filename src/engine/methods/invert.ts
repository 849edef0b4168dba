import { runMethod } from './types';
import { invert, INVERT_PARAMS } from '../reconstruct/invert';

export const method = runMethod({
  id: 'invert',
  title: 'Representation inversion',
  family: 'reconstruction',
  needs: 'input-gradient',
  output: 'image',
  summary: 'Mahendran & Vedaldi 2015: an image whose representation at a layer matches the input\'s, under Lp and TV priors; reports ‖Φ(x*) − Φ₀‖/‖Φ₀‖.',
  params: INVERT_PARAMS,
  run: invert,
});

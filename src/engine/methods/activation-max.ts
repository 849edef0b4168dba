import { runMethod } from './types';
import { activationMax, AM_PARAMS } from '../reconstruct/activation-max';

export const method = runMethod({
  id: 'activation-max',
  title: 'Activation maximisation',
  family: 'reconstruction',
  needs: 'input-gradient',
  output: 'image',
  summary: 'Erhan 2009 / Simonyan 2013: gradient ascent on the input for a target, with Lp and TV priors and optional Fourier/colour/jitter aids.',
  params: AM_PARAMS,
  run: activationMax,
});

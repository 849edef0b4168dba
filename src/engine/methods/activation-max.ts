import type { RunMethod } from './types';
import { activationMax, AM_PARAMS, type AmParams } from '../reconstruct/activation-max';

export const method: RunMethod = {
  kind: 'run',
  id: 'activation-max',
  title: 'Activation maximisation',
  family: 'reconstruction',
  needs: 'input-gradient',
  output: 'image',
  summary: 'Erhan 2009 / Simonyan 2013: gradient ascent on the input for a target, with Lp and TV priors and optional Fourier/colour/jitter aids.',
  params: AM_PARAMS,
  // The engine validated params against the schema and filled every default (parseParams) before a method runs.
  run: (ctx, p) => activationMax(ctx, p as AmParams),
};

import type { RunMethod } from './types';
import { invert, INVERT_PARAMS, type InvertParams } from '../reconstruct/invert';

export const method: RunMethod = {
  kind: 'run',
  id: 'invert',
  title: 'Representation inversion',
  family: 'reconstruction',
  needs: 'input-gradient',
  output: 'image',
  summary: 'Mahendran & Vedaldi 2015: an image whose representation at a layer matches the input\'s, under Lp and TV priors; reports ‖Φ(x*) − Φ₀‖/‖Φ₀‖.',
  params: INVERT_PARAMS,
  // The engine validated params against the schema and filled every default (parseParams) before a method runs.
  run: (ctx, p) => invert(ctx, p as InvertParams),
};

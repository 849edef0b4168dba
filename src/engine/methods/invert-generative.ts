import type { RunMethod } from './types';
import { invertGenerative, GENERATIVE_PARAMS, type GenerativeParams } from '../reconstruct/invert-generative';

export const method: RunMethod = {
  kind: 'run',
  id: 'invert-generative',
  title: 'Generative inversion (trained decoder)',
  family: 'reconstruction',
  needs: 'forward',
  output: 'image',
  summary: "Dosovitskiy & Brox 2016: an up-convolutional decoder trained with 'featurevis train-inverter' maps a layer's features back to an image in one forward pass.",
  params: GENERATIVE_PARAMS,
  // The engine validated params against the schema and filled every default (parseParams) before a method runs.
  run: (ctx, p) => invertGenerative(ctx, p as GenerativeParams),
};

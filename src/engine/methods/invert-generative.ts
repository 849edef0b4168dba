import { runMethod } from './types';
import { invertGenerative, GENERATIVE_PARAMS } from '../reconstruct/invert-generative';

export const method = runMethod({
  id: 'invert-generative',
  title: 'Generative inversion (trained decoder)',
  family: 'reconstruction',
  needs: 'forward',
  output: 'image',
  summary: "Dosovitskiy & Brox 2016: an up-convolutional decoder trained with 'featurevis train-inverter' maps a layer's features back to an image in one forward pass.",
  params: GENERATIVE_PARAMS,
  run: invertGenerative,
});

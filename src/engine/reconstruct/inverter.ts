/**
 * The generative inverter (Dosovitskiy & Brox 2016), by concern:
 *   inverter-decoder.ts     the TF.js up-convolutional decoder D and its layout
 *   inverter-features.ts    training pairs (x, Φ(x)) from an image folder, Φ by ONNX Runtime, cached within a budget
 *   inverter-train.ts       trainInverter: D(Φ(x)) ≈ x by Adam on the pixel MSE, a checkpoint after every epoch
 *   inverter-checkpoint.ts  the directory a trained inverter lives in (meta, weights, optimizer state)
 *   invert-generative.ts    the method: the input's features, one decoder pass back to an image
 * This module re-exports what callers outside reconstruct/ use. Measured results: docs/reconstruction/README.md.
 */
export { filterGrad3x3 } from './inverter-decoder';
export { readMeta, type InverterMeta } from './inverter-checkpoint';
export { trainInverter, TRAIN_DEFAULTS, type TrainOptions, type TrainProgress, type TrainResult } from './inverter-train';
export { invertGenerative, GENERATIVE_PARAMS, type GenerativeParams } from './invert-generative';

/**
 * Generative inversion (Dosovitskiy & Brox 2016, "Inverting visual representations with convolutional networks"):
 * the input's features at the layer a decoder was trained for (inverter-train.ts), computed by ONNX Runtime, then
 * one decoder forward pass back to an image. Reports the pixel MSE against the input (model-input units).
 */
import type { ExplainResult, TensorData } from '../../protocol/types';
import { path, type ParamsOf } from '../methods/params';
import type { MethodRunContext } from '../methods/run-context';
import { cancelled, invalidParams } from '../errors';
import { sha256File } from './file-hash';
import { loadDecoder, readMeta } from './inverter-checkpoint';
import { float32, toNhwc } from './inverter-decoder';
import { Runner } from './session';
import { loadTf } from './tf';

export const GENERATIVE_PARAMS = [
  path('inverter', 'Trained inverter', { kind: 'folder', required: true, help: "folder written by 'featurevis train-inverter'" }),
] as const;

export type GenerativeParams = ParamsOf<typeof GENERATIVE_PARAMS>;

/** Runs a trained decoder on features (NCHW, batch k, already computed by ORT) → images NCHW. */
async function decode(dir: string, features: Float32Array, featureDims: number[]): Promise<Float32Array> {
  const { tf } = await loadTf();
  const meta = readMeta(dir);
  const decoder = loadDecoder(tf, dir);
  try {
    const out = tf.tidy(() => decoder.apply(tf.mul(toNhwc(tf, features, featureDims), meta.featureScale)).transpose([0, 3, 1, 2]));
    const data = float32(await out.data());
    out.dispose();
    return Float32Array.from(data);
  } finally {
    decoder.dispose();
  }
}

/** The layer's features for every item of the input, in batches of k (the runner's batch). */
async function featuresOf(ctx: MethodRunContext, runner: Runner, k: number): Promise<Float32Array> {
  const { dims, data } = ctx.input;
  const n = dims[0];
  const per = dims[1] * dims[2] * dims[3];
  const fper = runner.targetDims.reduce((a, b) => a * b, 1) / k;
  const features = new Float32Array(n * fper);
  for (let s = 0; s < n; s += k) {
    if (ctx.token.isCancellationRequested) throw cancelled();
    const x = new Float32Array(k * per);
    x.set(data.subarray(s * per, Math.min(n, s + k) * per));
    const { target } = await runner.run(x);
    features.set(target.subarray(0, Math.min(k, n - s) * fper), s * fper);
  }
  return features;
}

export async function invertGenerative(ctx: MethodRunContext, p: GenerativeParams): Promise<ExplainResult> {
  const t0 = performance.now();
  const dir = p.inverter;
  const meta = readMeta(dir);
  const dims = ctx.input.dims;
  if (dims.length !== 4) throw invalidParams(`invert-generative needs an image input (N, C, H, W); got [${dims.join(', ')}]`);
  if (dims.slice(1).join() !== meta.inputDims.slice(1).join()) {
    throw invalidParams(`the inverter in ${dir} was trained at input [${meta.inputDims.slice(1).join(', ')}] (C, H, W); this input is [${dims.slice(1).join(', ')}]`);
  }
  if (sha256File(ctx.model.path) !== meta.model.sha256) throw invalidParams(`the inverter in ${dir} was trained on another model (${meta.model.file}); its features do not fit this one`);
  const n = dims[0];
  const k = ctx.model.fixedBatch ?? n;
  const runner = await Runner.open(ctx.model, 'features', meta.layer, [k, ...dims.slice(1)]);
  const compileMs = performance.now() - t0;
  const runStart = performance.now();
  const features = await featuresOf(ctx, runner, k);
  ctx.progress({ fraction: 0.5, message: 'decoding' });
  const image = await decode(dir, features, [n, ...meta.featureDims.slice(1)]);
  const per = dims[1] * dims[2] * dims[3];
  const mse: number[] = [];
  for (let b = 0; b < n; b++) {
    let s = 0;
    for (let i = b * per; i < (b + 1) * per; i++) s += (image[i] - ctx.input.data[i]) ** 2;
    mse.push(s / per);
  }
  const relevance: TensorData = { data: image, dims: [...dims] };
  return {
    method: 'invert-generative', relevance, targetValue: mse, targetTensor: meta.layer,
    timings: { compileMs, runMs: performance.now() - runStart },
    extras: {
      target: `decoder for ${meta.layer} (epoch ${meta.epoch}, final training loss ${meta.loss[meta.loss.length - 1]?.toPrecision(4)})`,
      pixel_mse: mse, training_loss: meta.loss,
    },
  };
}

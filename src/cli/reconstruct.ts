/**
 * `featurevis reconstruct`: the reconstruction methods (activation-max, invert, patch-replace, …) from the command
 * line. The result is an image in the model's input space: `--out *.npy` writes it as the model-input tensor
 * (NCHW float32, normalised exactly like the model's input, so it can be fed back), `--out *.png` the pixels
 * (batch items side by side).
 */
import type { Engine } from '../engine/engine';
import { methodParams } from '../engine/engine';
import { invalidParams } from '../engine/errors';
import { parseTarget } from '../engine/targets';
import { encodeNpy } from '../engine/npy';
import { tensorToRgba, type Preprocessing } from '../engine/preprocess';
import { encodePng } from '../engine/image/decode';
import type { ParamValues, TensorData } from '../protocol/types';
import type { CancellationToken } from '../engine/methods/run-context';
import { str, unknownFlag, type Args } from './args';
import { TaskProgress, progressSink } from './progress';
import { checkOutPath, loadInput, writeAtomic } from './io';

const OWN_FLAGS = new Set(['model', 'method', 'target', 'size', 'input', 'out', 'threads', 'json', 'quiet']);

export function imagePng(t: TensorData, p: Preprocessing): Buffer {
  const [n, , h, w] = t.dims;
  const canvas = new Uint8Array(n * w * h * 4);
  for (let b = 0; b < n; b++) {
    const img = tensorToRgba(t, p, b);
    for (let y = 0; y < h; y++) canvas.set(img.data.subarray(y * w * 4, (y + 1) * w * 4), (y * n * w + b * w) * 4);
  }
  return encodePng(n * w, h, canvas);
}

export async function reconstruct(engine: Engine, args: Args, token?: CancellationToken): Promise<void> {
  const methodId = str(args, 'method') ?? 'activation-max';
  const method = engine.method(methodId);
  if (method.family !== 'reconstruction') throw invalidParams(`'${methodId}' is not a reconstruction method; use 'featurevis explain'`);
  for (const k of args.flags.keys()) {
    if (!OWN_FLAGS.has(k) && !method.params.some((p) => p.name === k)) {
      throw unknownFlag(k, methodId, [...OWN_FLAGS, ...method.params.map((p) => p.name)], ` (its options: ${method.params.map((p) => '--' + p.name).join(', ')})`);
    }
  }
  const out = str(args, 'out');
  if (!out) throw invalidParams('--out is required (out.npy for the model-input tensor, out.png for the image)');
  checkOutPath(out);
  const model = engine.open(str(args, 'model'));
  const params: ParamValues = {};
  for (const p of method.params) {
    const raw = args.flags.get(p.name);
    if (raw === undefined) continue;
    if (p.kind === 'boolean') params[p.name] = raw === true || raw === 'true';
    else if (raw === true) throw invalidParams(`--${p.name} needs a value`);
    else if (p.kind === 'number' || p.kind === 'integer') {
      const v = Number(raw);
      if (!Number.isFinite(v)) throw invalidParams(`--${p.name} must be a number, got '${raw}'`);
      params[p.name] = v;
    } else params[p.name] = raw;
  }
  methodParams(method, params);
  let input: TensorData;
  const inputPath = str(args, 'input');
  if (inputPath) input = loadInput(inputPath, model);
  else if (methodId === 'activation-max') {
    const dims = model.inputShapeFor(1);
    const size = str(args, 'size');
    if (size) {
      const hw = size.split(',').map(Number);
      if (hw.length !== 2 || hw.some((v) => !Number.isInteger(v) || v < 1)) throw invalidParams(`--size must be H,W (two whole numbers), got '${size}'`);
      model.inputDims.slice(2).forEach((d, i) => {
        if (typeof d === 'number' && d > 0 && d !== hw[i]) {
          throw invalidParams(`--size ${hw.join(',')} does not fit this model: its input '${model.inputName}' has a fixed spatial size ${model.inputDims.slice(2).join('×')}`);
        }
      });
      dims[2] = hw[0];
      dims[3] = hw[1];
    }
    input = { data: new Float32Array(dims.reduce((a, b) => a * b, 1)), dims };
  } else throw invalidParams(`--input is required for ${methodId} (an image or .npy)`);
  const t = str(args, 'target');
  const target = t ? parseTarget(t, model.labels) : methodId === 'activation-max' ? undefined : { kind: 'class' as const, index: 0 };
  if (methodId === 'activation-max' && !target) throw invalidParams('--target is required: class:K, class:LABEL, unit:TENSOR:C or unit:TENSOR:C:Y:X');
  const progress = new TaskProgress(progressSink(args.flags.has('quiet')), `${methodId}: `);
  const result = await engine.explain({ model, input, method: methodId, params, target }, token, progress.report).finally(() => progress.end());
  const img = result.relevance;
  writeAtomic(out, out.toLowerCase().endsWith('.npy') ? encodeNpy(img) : imagePng(img, model.preprocessing()));
  const x = result.extras ?? {};
  const facts: string[] = [];
  if (Array.isArray(x.initial_target)) facts.push(`target ${(x.initial_target as number[]).map((v) => v.toPrecision(4)).join(', ')} → ${result.targetValue.map((v) => v.toPrecision(4)).join(', ')}`);
  if (Array.isArray(x.feature_error)) facts.push(`normalised feature error ${(x.feature_error as number[]).map((v) => v.toFixed(4)).join(', ')}`);
  if (Array.isArray(x.pixel_mse)) facts.push(`pixel MSE vs the input ${(x.pixel_mse as number[]).map((v) => v.toFixed(4)).join(', ')} (model-input units)`);
  if (typeof x.note === 'string') facts.push(x.note);
  if (args.flags.has('json')) console.log(JSON.stringify({ method: methodId, out, targetValue: result.targetValue, timings: result.timings, extras: Object.fromEntries(Object.entries(x).filter(([, v]) => !(v && typeof v === 'object' && 'data' in v))) }));
  else console.log(`${methodId}: ${x.target ?? result.targetTensor}; ${facts.join('; ')} (${(result.timings.runMs / 1000).toFixed(1)} s) → ${out}`);
}

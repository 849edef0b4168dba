/** Inputs and outputs of the CLI: images or .npy in, .npy or PNG overlays out, written atomically. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TensorData } from '../protocol/types';
import { colorize, blend, reduceChannels, robustScale, type ColorMapName, type Reduction } from '../protocol/display';
import { encodeNpy, readNpy } from '../engine/npy';
import { loadImageFile, tensorToRgba, type Preprocessing } from '../engine/preprocess';
import { encodePng } from '../engine/image/decode';
import { invalidParams } from '../engine/errors';
import { channelsFirstDims, relevanceForDisplay } from '../engine/layout';
import type { LoadedModel } from '../engine/model';

/** One input path (image or .npy), or several images separated by commas (a batch). */
export function loadInput(spec: string, model: LoadedModel): TensorData {
  const files = spec.split(',').filter(Boolean);
  if (files.length === 1 && files[0].toLowerCase().endsWith('.npy')) return readNpy(files[0]);
  const p = model.preprocessing();
  const items = files.map((f) => loadImageFile(f, p));
  if (items.length === 1) return items[0];
  const per = items[0].data.length;
  const data = new Float32Array(per * items.length);
  items.forEach((t, i) => data.set(t.data, i * per));
  return { data, dims: [items.length, ...items[0].dims.slice(1)] };
}

/** Writes through a temporary file so an error never leaves a partial output behind. */
export function writeAtomic(file: string, bytes: Uint8Array): void {
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) throw invalidParams(`the output folder ${dir} does not exist`);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
}

export function checkOutPath(file: string): void {
  if (!/\.(npy|png)$/i.test(file)) throw invalidParams(`--out must end in .npy (raw float32) or .png (overlay), got '${file}'`);
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) throw invalidParams(`the output folder ${dir} does not exist`);
}

export interface RenderOptions {
  reduction: Reduction;
  colorMap: ColorMapName;
  opacity: number;
}

/** A PNG of the explanation over the input image, batch items side by side (NHWC relevance is transposed for it). */
export function renderOverlay(input: TensorData, rel: TensorData, p: Preprocessing, opts: RenderOptions): Buffer {
  const [n, , h, w] = channelsFirstDims(input.dims, p.layout);
  const relevance = relevanceForDisplay(rel, input.dims, p.layout);
  const canvas = new Uint8Array(n * w * h * 4);
  for (let b = 0; b < n; b++) {
    const base = tensorToRgba(input, p, b);
    const map = reduceChannels(relevance, relevance.dims[1] === 1 ? 'sum' : opts.reduction, b);
    const cmap = opts.colorMap;
    const colored = colorize(map.data, robustScale(map.data), cmap);
    const mixed = blend(base.data, colored, opts.opacity);
    for (let y = 0; y < h; y++) canvas.set(mixed.subarray(y * w * 4, (y + 1) * w * 4), (y * n * w + b * w) * 4);
  }
  return encodePng(n * w, h, canvas);
}

/** `.npy` keeps the relevance as the engine returns it, in the model's input layout (NHWC for Keras models). */
export function writeResult(out: string, input: TensorData, relevance: TensorData, p: Preprocessing, opts: RenderOptions): void {
  if (out.toLowerCase().endsWith('.npy')) writeAtomic(out, encodeNpy(relevance));
  else writeAtomic(out, renderOverlay(input, relevance, p, opts));
}

/** Inputs and outputs of the CLI: images or .npy in, .npy or PNG maps out, written atomically. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TensorData } from '../protocol/types';
import { DEFAULT_CLIP, renderRelevance, type DisplayOptions, type InputFrame } from '../protocol/render';
import { encodeNpy, readNpy } from '../engine/npy';
import { inputFrame, loadImageFile, tensorToRgba, type Preprocessing } from '../engine/preprocess';
import { decodeImage, encodePng, type RgbaImage } from '../engine/image/decode';
import { invalidParams } from '../engine/errors';
import { writeFileAtomic } from '../engine/private-files';
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
  // The user's own output: readable like any file they write (only the temporary file is 0600).
  writeFileAtomic(file, bytes, 0o644);
}

export function checkOutPath(file: string): void {
  if (!/\.(npy|png)$/i.test(file)) throw invalidParams(`--out must end in .npy (raw float32) or .png (an image), got '${file}'`);
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) throw invalidParams(`the output folder ${dir} does not exist`);
}

/** An item's original photo and where the model's input lies in it (explain PNGs are drawn at this size). */
export interface Photo {
  rgba: RgbaImage;
  frame: InputFrame;
}

/** The photos behind an image input (decoded again at their own size); none for a .npy input. */
export function loadPhotos(spec: string, p: Preprocessing): Photo[] | undefined {
  const files = spec.split(',').filter(Boolean);
  if (files.length === 1 && files[0].toLowerCase().endsWith('.npy')) return undefined;
  return files.map((f) => {
    const rgba = decodeImage(fs.readFileSync(f), path.basename(f));
    return { rgba, frame: inputFrame(p, rgba.width, rgba.height) };
  });
}

/** The look of an overlay when the caller gives only some fields (the pre-pipeline defaults: a signed blend). */
const OVERLAY: DisplayOptions = { mode: 'blend', sign: 'all', clip: DEFAULT_CLIP, reduction: 'sum', opacity: 0.6, outlineTop: 20 };

/**
 * A PNG of the explanation through the display pipeline, batch items side by side (top-aligned; a shorter item
 * leaves the rest of its column transparent). With photos, each item is drawn at its photo's resolution (the
 * cropped-away border hatched); without (a .npy input), at the model's input size over the input itself.
 */
export function renderOverlay(input: TensorData, rel: TensorData, p: Preprocessing, opts: Partial<DisplayOptions>, photos?: Photo[]): Buffer {
  if (input.dims.length !== 4) {
    throw invalidParams(`--out .png needs an image input (N, C, H, W); this input is [${input.dims.join(', ')}]: write .npy instead`);
  }
  const [n] = channelsFirstDims(input.dims, p.layout);
  const relevance = relevanceForDisplay(rel, input.dims, p.layout);
  const display = { ...OVERLAY, ...opts };
  const items = Array.from({ length: n }, (_, b) => {
    const photo = photos?.[b];
    return renderRelevance(relevance, display, photo?.rgba ?? tensorToRgba(input, p, b), photo?.frame, b);
  });
  const width = items.reduce((a, r) => a + r.width, 0);
  const height = Math.max(...items.map((r) => r.height));
  const canvas = new Uint8Array(width * height * 4);
  let x0 = 0;
  for (const r of items) {
    for (let y = 0; y < r.height; y++) canvas.set(r.data.subarray(y * r.width * 4, (y + 1) * r.width * 4), (y * width + x0) * 4);
    x0 += r.width;
  }
  return encodePng(width, height, canvas);
}

/** `.npy` keeps the relevance as the engine returns it, in the model's input layout (NHWC for Keras models). */
export function writeResult(out: string, input: TensorData, relevance: TensorData, p: Preprocessing, display: DisplayOptions, photos?: Photo[]): void {
  if (out.toLowerCase().endsWith('.npy')) writeAtomic(out, encodeNpy(relevance));
  else writeAtomic(out, renderOverlay(input, relevance, p, display, photos));
}

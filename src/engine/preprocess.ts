/**
 * How a model wants its images: a sidecar JSON next to the model (`model.json` or `model.featurevis.json`), or
 * defaults (ImageNet mean/std at the model's input size). Turns decoded pixels into the model's float input (NCHW or
 * NHWC, see layout.ts) and back.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TensorData } from '../protocol/types';
import { decodeImage, type RgbaImage } from './image/decode';
import { resizeFloat } from './image/resize';
import type { InputFrame } from '../protocol/render';
import { FeatureVisError, invalidInput } from './errors';
import { parseLayout, type Layout } from './layout';

export interface Preprocessing {
  size: [number, number];
  /** 'stretch' resizes straight to size; 'shorter-side' resizes the shorter side to `size` then centre-crops. */
  resize: { mode: 'stretch' } | { mode: 'shorter-side'; size: number; crop: number };
  /** Per-channel mean and std in 0–1 pixel units: x = (pixel/255 − mean) / std. */
  mean: number[];
  std: number[];
  /** Channel order the model expects. */
  channels: 'RGB' | 'BGR' | 'L';
  /** Axis order of the image tensor: channels-first (PyTorch) or channels-last (Keras/TensorFlow via tf2onnx). */
  layout: Layout;
}

export interface Sidecar {
  name?: string;
  labels?: string[];
  /** Without a `layout` field the model's input shape decides it (LoadedModel.preprocessing). */
  preprocessing?: Omit<Preprocessing, 'layout'> & { layout?: Layout };
  licence?: string;
}

export const IMAGENET: Pick<Preprocessing, 'mean' | 'std'> = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/** Largest sidecar, and largest labels file it may name (ImageNet-21k's labels are about 0.5 MiB). */
export const MAX_LABELS_BYTES = 16 * 1024 ** 2;
/** Largest input side a sidecar may ask for: far above any CNN's, small enough that buffers stay bounded. */
export const MAX_INPUT_SIDE = 8192;

const sidecarError = (file: string, message: string) => new FeatureVisError('ModelLoadFailed', `${path.basename(file)}: ${message}`);

/**
 * A sidecar's labels file: it must resolve, symlinks followed, to a regular file inside the model's folder and be
 * at most MAX_LABELS_BYTES, checked before reading (a path such as /dev/zero would otherwise never finish).
 */
function readLabelsFile(file: string, name: string): string[] {
  const dir = fs.realpathSync(path.dirname(file));
  let real: string;
  try {
    real = fs.realpathSync(path.resolve(dir, name));
  } catch (e) {
    throw sidecarError(file, `labels '${name}' cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (!real.startsWith(dir + path.sep)) throw sidecarError(file, `labels '${name}' must be a file inside the model's folder (${dir})`);
  return readBounded(real, MAX_LABELS_BYTES, (rule) => sidecarError(file, `labels '${name}' ${rule}`)).split(/\r?\n/).filter((l) => l.length > 0);
}

/**
 * A regular file of at most `max` bytes as text. Checked by path first (opening a FIFO would block), then again on
 * the open descriptor, and never more than its size + 1 bytes read, so a file growing meanwhile stays bounded.
 */
function readBounded(file: string, max: number, fail: (rule: string) => Error): string {
  const regular = (st: fs.Stats) => {
    if (!st.isFile()) throw fail('is not a regular file');
    if (st.size > max) throw fail(`is ${(st.size / 1024 ** 2).toFixed(1)} MiB; it may be at most ${max / 1024 ** 2} MiB`);
  };
  regular(fs.statSync(file));
  const fd = fs.openSync(file, 'r');
  try {
    const st = fs.fstatSync(fd);
    regular(st);
    const buf = Buffer.alloc(st.size + 1);
    let n = 0;
    for (let r; n < buf.length && (r = fs.readSync(fd, buf, n, buf.length - n, n)) > 0;) n += r;
    if (n > st.size) throw fail('changed while being read');
    return buf.toString('utf8', 0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/** The sidecar's preprocessing fields, each checked with the bounds settings get (mergePreprocessing); a bad one is named. */
function sidecarPreprocessing(file: string, raw: Record<string, unknown>): Omit<Preprocessing, 'layout'> {
  const side = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= MAX_INPUT_SIDE;
  const show = (v: unknown) => JSON.stringify(v)?.slice(0, 80);
  if (!Array.isArray(raw.size) || raw.size.length !== 2 || !raw.size.every(side)) {
    throw sidecarError(file, `size must be [height, width], positive integers up to ${MAX_INPUT_SIDE}; got ${show(raw.size)}`);
  }
  if (raw.channels !== undefined && raw.channels !== 'RGB' && raw.channels !== 'BGR' && raw.channels !== 'L') {
    throw sidecarError(file, `channels must be "RGB", "BGR" or "L"; got ${show(raw.channels)}`);
  }
  const channels = raw.channels === 'BGR' ? 'BGR' : raw.channels === 'L' ? 'L' : 'RGB';
  const n = channels === 'L' ? 1 : 3;
  const stats = (key: 'mean' | 'std'): number[] => {
    const v = raw[key];
    if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw sidecarError(file, `${key} must be ${n} number${n > 1 ? 's' : ''} (one per ${channels} channel); got ${show(v)}`);
    }
    return v as number[];
  };
  const mean = stats('mean');
  const std = stats('std');
  if (std.some((v) => v === 0)) throw sidecarError(file, `std must be non-zero (it divides each channel); got ${show(std)}`);
  const r = raw.resize as { mode?: unknown; size?: unknown; crop?: unknown } | undefined;
  let resize: Preprocessing['resize'] = { mode: 'stretch' };
  if (r !== undefined) {
    if (r && typeof r === 'object' && r.mode === 'shorter-side' && side(r.size) && side(r.crop)) {
      resize = { mode: 'shorter-side', size: r.size as number, crop: r.crop as number };
    } else if (!(r && typeof r === 'object' && r.mode === 'stretch')) {
      throw sidecarError(file, `resize must be {"mode": "stretch"} or {"mode": "shorter-side", "size": n, "crop": n} with positive integers up to ${MAX_INPUT_SIDE}; got ${show(r)}`);
    }
  }
  return { size: [raw.size[0], raw.size[1]], resize, mean, std, channels };
}

export function readSidecar(modelPath: string): Sidecar {
  const base = modelPath.replace(/\.onnx$/i, '');
  const file = [`${base}.featurevis.json`, `${base}.json`].find((f) => fs.existsSync(f));
  if (!file) return {};
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readBounded(file, MAX_LABELS_BYTES, (rule) => sidecarError(file, `the sidecar ${rule}`)));
  } catch (e) {
    if (e instanceof FeatureVisError) throw e;
    throw invalidInput(`${path.basename(file)} is not valid JSON (${(e as Error).message})`);
  }
  const out: Sidecar = { name: typeof raw.name === 'string' ? raw.name : undefined };
  if (typeof raw.labels === 'string') out.labels = readLabelsFile(file, raw.labels);
  else if (Array.isArray(raw.labels)) out.labels = raw.labels.map(String);
  const layout = parseLayout(raw.layout);
  if (raw.layout !== undefined && !layout) throw invalidInput(`${path.basename(file)}: layout must be "NCHW" or "NHWC", got ${JSON.stringify(raw.layout)}`);
  // Any of the three means the sidecar describes preprocessing, so all three must then be present and valid.
  if (raw.size !== undefined || raw.mean !== undefined || raw.std !== undefined) {
    out.preprocessing = { ...sidecarPreprocessing(file, raw), ...(layout ? { layout } : {}) };
  }
  return out;
}

/** Preprocessing for a model without a sidecar: stretch to its input size, ImageNet statistics for 3 channels. */
export function defaultPreprocessing(inputDims: number[], layout: Layout = 'NCHW'): Preprocessing {
  const [, c, h, w] = layout === 'NHWC' ? [inputDims[0], inputDims[3], inputDims[1], inputDims[2]] : inputDims;
  const channels = c === 1 ? 'L' : 'RGB';
  return {
    size: [h > 0 ? h : 224, w > 0 ? w : 224],
    resize: { mode: 'stretch' },
    mean: c === 3 ? IMAGENET.mean : Array(c > 0 ? c : 1).fill(0),
    std: c === 3 ? IMAGENET.std : Array(c > 0 ? c : 1).fill(1),
    channels,
    layout,
  };
}

/** Applies user overrides (from settings) to defaults, ignoring malformed fields rather than failing later. */
export function mergePreprocessing(base: Preprocessing, o: Partial<Preprocessing> | undefined): Preprocessing {
  if (!o || typeof o !== 'object') return base;
  const nums = (v: unknown, n?: number) => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x)) && (n === undefined || v.length === n) ? (v as number[]) : undefined;
  const channels = base.channels === 'L' ? 1 : 3;
  const size = nums(o.size, 2);
  const resize = o.resize && (o.resize.mode === 'stretch' || (o.resize.mode === 'shorter-side' && Number(o.resize.size) > 0 && Number(o.resize.crop) > 0)) ? o.resize : undefined;
  return {
    size: (size as [number, number]) ?? base.size,
    resize: resize ?? base.resize,
    mean: nums(o.mean, channels) ?? base.mean,
    std: nums(o.std, channels)?.every((v) => v !== 0) ? (o.std as number[]) : base.std,
    channels: o.channels === 'BGR' || o.channels === 'RGB' ? (channels === 3 ? o.channels : base.channels) : base.channels,
    layout: parseLayout(o.layout) ?? base.layout,
  };
}

/** Pixels (RGBA) → normalised (1, C, H, W) float32 tensor, or (1, H, W, C) for NHWC models. */
export function imageToTensor(img: RgbaImage, p: Preprocessing): TensorData {
  const { width, height } = img;
  const rgb = new Float32Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    rgb[3 * i] = img.data[4 * i] / 255;
    rgb[3 * i + 1] = img.data[4 * i + 1] / 255;
    rgb[3 * i + 2] = img.data[4 * i + 2] / 255;
  }
  const [outH, outW] = p.size;
  let pixels: Float32Array;
  if (p.resize.mode === 'shorter-side') {
    const s = p.resize.size / Math.min(width, height);
    const rw = Math.max(outW, Math.round(width * s));
    const rh = Math.max(outH, Math.round(height * s));
    const resized = resizeFloat(rgb, width, height, 3, rw, rh);
    const top = Math.floor((rh - outH) / 2);
    const left = Math.floor((rw - outW) / 2);
    pixels = new Float32Array(outW * outH * 3);
    for (let y = 0; y < outH; y++) {
      pixels.set(resized.subarray(((y + top) * rw + left) * 3, ((y + top) * rw + left + outW) * 3), y * outW * 3);
    }
  } else {
    pixels = resizeFloat(rgb, width, height, 3, outW, outH);
  }
  const c = p.channels === 'L' ? 1 : 3;
  const data = new Float32Array(c * outH * outW);
  const plane = outH * outW;
  const last = p.layout === 'NHWC';
  for (let i = 0; i < plane; i++) {
    if (c === 1) {
      const lum = 0.299 * pixels[3 * i] + 0.587 * pixels[3 * i + 1] + 0.114 * pixels[3 * i + 2];
      data[i] = (lum - p.mean[0]) / p.std[0];
    } else {
      for (let ch = 0; ch < 3; ch++) {
        const src = p.channels === 'BGR' ? 2 - ch : ch;
        data[last ? 3 * i + ch : ch * plane + i] = (pixels[3 * i + src] - p.mean[ch]) / p.std[ch];
      }
    }
  }
  return { data, dims: last ? [1, outH, outW, c] : [1, c, outH, outW] };
}

/**
 * Where the model's input lies in an original image of width × height (pixels): the whole image when stretched,
 * the centre crop for shorter-side resizing (the same arithmetic as imageToTensor).
 */
export function inputFrame(p: Preprocessing, width: number, height: number): InputFrame {
  if (p.resize.mode !== 'shorter-side') return { width, height, x0: 0, y0: 0, x1: width, y1: height };
  const [outH, outW] = p.size;
  const s = p.resize.size / Math.min(width, height);
  const rw = Math.max(outW, Math.round(width * s));
  const rh = Math.max(outH, Math.round(height * s));
  const top = Math.floor((rh - outH) / 2);
  const left = Math.floor((rw - outW) / 2);
  const [sx, sy] = [width / rw, height / rh];
  return { width, height, x0: left * sx, y0: top * sy, x1: (left + outW) * sx, y1: (top + outH) * sy };
}

/** One batch item of a model input (in the model's layout) back to RGBA pixels (for overlays and reconstructions). */
export function tensorToRgba(t: TensorData, p: Preprocessing, item = 0): { width: number; height: number; data: Uint8Array } {
  const last = p.layout === 'NHWC' && t.dims.length === 4;
  const [, c, h, w] = last ? [t.dims[0], t.dims[3], t.dims[1], t.dims[2]] : t.dims;
  const plane = h * w;
  const out = new Uint8Array(plane * 4);
  const base = item * c * plane;
  for (let i = 0; i < plane; i++) {
    for (let ch = 0; ch < 3; ch++) {
      const src = c === 1 ? 0 : p.channels === 'BGR' ? 2 - ch : ch;
      const v = t.data[base + (last ? i * c + src : src * plane + i)] * p.std[src] + p.mean[src];
      out[4 * i + ch] = Math.max(0, Math.min(255, Math.round(v * 255)));
    }
    out[4 * i + 3] = 255;
  }
  return { width: w, height: h, data: out };
}

export function loadImageFile(file: string, p: Preprocessing): TensorData {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw invalidInput(`cannot read image ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return imageToTensor(decodeImage(bytes, path.basename(file)), p);
}

/** Pixel bounds [0, 1] mapped through the normalisation, per channel (the zB rule's default box). */
export function pixelBounds(p: Preprocessing): { low: number[]; high: number[] } {
  const c = p.channels === 'L' ? 1 : 3;
  const low: number[] = [];
  const high: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    const a = (0 - p.mean[ch]) / p.std[ch];
    const b = (1 - p.mean[ch]) / p.std[ch];
    low.push(Math.min(a, b));
    high.push(Math.max(a, b));
  }
  return { low, high };
}

/**
 * The one display pipeline (CLI PNGs, the webview, figures): relevance (N, C, H, W) → an (H, W) map → the chosen
 * sign → clipped and normalised → painted in a mode, optionally over the photo at the photo's own resolution.
 * Signs and clipping follow Captum's visualize_image_attr (`_normalize_attr`, `_cumulative_sum_threshold`).
 * Pure TS: no DOM, no Node.
 */
import { colorize, reduceChannels, type ColorMapName, type Reduction } from './display';
import type { TensorData } from './types';

export type DisplayMode = 'heatmap' | 'blend' | 'masked' | 'alpha' | 'outline' | 'rgb' | 'bw';
export const DISPLAY_MODES: readonly DisplayMode[] = ['heatmap', 'blend', 'masked', 'alpha', 'outline', 'rgb', 'bw'];
export type DisplaySign = 'all' | 'positive' | 'negative' | 'absolute';
export const DISPLAY_SIGNS: readonly DisplaySign[] = ['all', 'positive', 'negative', 'absolute'];

/**
 * `mass`: the threshold is the smallest |value| at which the sorted values' cumulative sum reaches (100 − percent) %
 * of the total (Captum's outlier_perc); `percentile`: the (100 − percent)th percentile of |value|. Values beyond the
 * threshold saturate.
 */
export interface ClipSpec { by: 'mass' | 'percentile'; percent: number }

export interface DisplayOptions {
  mode: DisplayMode;
  sign: DisplaySign;
  clip: ClipSpec;
  /** How channels combine into one map (rgb mode keeps them). */
  reduction: Reduction;
  /** Over the photo (blend): the map's opacity. */
  opacity: number;
  /** outline: the region holding the top `outlineTop` % of the pixels by normalised magnitude. */
  outlineTop: number;
  /** A fixed saturation value instead of clipping (grids with one shared scale). */
  threshold?: number;
  /** Overrides the colour map the sign implies. */
  colorMap?: ColorMapName;
  /**
   * Where the scale's zero lies: at 0 (default), or at the map's minimum — for maps that are all positive with a
   * large offset (RISE's expected score), whose structure a scale from 0 hides.
   */
  offset?: DisplayOffset;
}

export type DisplayOffset = 'zero' | 'min';
export const DISPLAY_OFFSETS: readonly DisplayOffset[] = ['zero', 'min'];

/** The plane as the display reads it: minus its minimum (NaN ignored) when the offset is 'min'. */
export function offsetPlane(p: Plane, offset: DisplayOffset | undefined): Plane {
  if (offset !== 'min') return p;
  let min = Infinity;
  for (const v of p.data) if (v < min) min = v;
  if (!Number.isFinite(min)) return p;
  return { ...p, data: Float32Array.from(p.data, (v) => v - min) };
}

export const DEFAULT_CLIP: ClipSpec = { by: 'mass', percent: 2 };

/** What a practitioner would pick first for a method (by id and output kind). */
export function defaultDisplay(method: { id: string; family: string; output: string }): DisplayOptions {
  const base: DisplayOptions = { mode: 'heatmap', sign: 'absolute', clip: DEFAULT_CLIP, reduction: 'sum', opacity: 0.6, outlineTop: 20 };
  if (method.output === 'map' && method.family === 'cam') return { ...base, mode: 'blend', sign: 'positive' };
  // RISE's map is the mean score of the masks keeping each pixel: all positive, its structure above the minimum.
  if (method.id === 'rise') return { ...base, mode: 'blend', sign: 'positive', offset: 'min' };
  if (method.family === 'occlusion') return { ...base, sign: 'all' };
  if (method.id.startsWith('lrp') || method.id === 'rule-grid') return { ...base, sign: 'all' };
  // The gradient family: the absolute heat map (Simonyan et al.'s saliency), channels as max |·|.
  return { ...base, reduction: 'max-abs' };
}

export interface Plane { width: number; height: number; data: Float32Array }
export interface Rgba { width: number; height: number; data: Uint8ClampedArray | Uint8Array }

/** The part of a map that the sign keeps (Captum: positive / negative parts, |·|, or all of it). */
export function applySign(v: Float32Array, sign: DisplaySign): Float32Array {
  if (sign === 'all') return v;
  return Float32Array.from(v, (x) => (sign === 'positive' ? Math.max(x, 0) : sign === 'negative' ? Math.min(x, 0) : Math.abs(x)));
}

/** The clip threshold (≥ 0) of |values| by cumulative mass or by percentile; NaN (outside the input) is ignored. */
export function clipThreshold(values: Float32Array, clip: ClipSpec): number {
  const abs = Float64Array.from(values, Math.abs).filter((x) => !Number.isNaN(x)).sort();
  if (abs.length === 0) return 1;
  const keep = Math.min(100, Math.max(0, 100 - clip.percent)) / 100;
  let t: number;
  if (clip.by === 'percentile') {
    // numpy's default percentile: linear interpolation between the two nearest ranks.
    const pos = keep * (abs.length - 1);
    const lo = Math.floor(pos);
    t = abs[lo] + (pos - lo) * ((abs[Math.min(lo + 1, abs.length - 1)]) - abs[lo]);
  } else {
    let total = 0;
    for (const x of abs) total += x;
    let cum = 0;
    t = abs[abs.length - 1];
    for (const x of abs) {
      cum += x;
      if (cum >= total * keep) { t = x; break; }
    }
  }
  return t > 0 ? t : abs[abs.length - 1] || 1;
}

export interface Normalised { data: Float32Array; width: number; height: number; threshold: number }

/**
 * sign → clip → values in [−1, 1] for `all`, else magnitudes in [0, 1] (a negative map is divided by −threshold,
 * as Captum's _normalize_attr does); NaN stays NaN.
 */
export function normalise(plane: Plane, sign: DisplaySign, clip: ClipSpec, fixed?: number): Normalised {
  const signed = applySign(plane.data, sign);
  const threshold = fixed !== undefined && fixed > 0 ? fixed : clipThreshold(signed, clip);
  const divisor = sign === 'negative' ? -threshold : threshold;
  const data = Float32Array.from(signed, (x) => Math.max(-1, Math.min(1, x / divisor)) + 0); // + 0: no −0
  return { data, width: plane.width, height: plane.height, threshold };
}

/** Where the model's input lies in the original image (pixels), and the original's size. */
export interface InputFrame { width: number; height: number; x0: number; y0: number; x1: number; y1: number }

/** The same frame for the original resized to width × height (a capped preview, a figure cell). */
export function scaleFrame(f: InputFrame, width: number, height: number): InputFrame {
  const sx = width / f.width, sy = height / f.height;
  return { width, height, x0: f.x0 * sx, y0: f.y0 * sy, x1: f.x1 * sx, y1: f.y1 * sy };
}

/**
 * A model-resolution map resampled onto the original image (bilinear, pixel centres): pixels outside the input's
 * box (cropped away by the preprocessing) are NaN.
 */
export function toFrame(p: Plane, f: InputFrame): Plane {
  const out = new Float32Array(f.width * f.height).fill(Number.NaN);
  const xs = Array.from({ length: f.width }, (_, x) => taps(x, f.x0, f.x1, p.width));
  for (let y = 0; y < f.height; y++) {
    const ty = taps(y, f.y0, f.y1, p.height);
    if (!ty) continue;
    const [r0, r1] = [ty.i0 * p.width, ty.i1 * p.width];
    for (let x = 0; x < f.width; x++) {
      const tx = xs[x];
      if (!tx) continue;
      const a = p.data[r0 + tx.i0] * (1 - tx.w) + p.data[r0 + tx.i1] * tx.w;
      const b = p.data[r1 + tx.i0] * (1 - tx.w) + p.data[r1 + tx.i1] * tx.w;
      out[y * f.width + x] = a * (1 - ty.w) + b * ty.w;
    }
  }
  return { width: f.width, height: f.height, data: out };
}

/** The two source samples (and the weight of the second) for output pixel i of an axis whose input spans [lo, hi]. */
function taps(i: number, lo: number, hi: number, n: number): { i0: number; i1: number; w: number } | undefined {
  const c = i + 0.5;
  if (c < lo || c > hi) return undefined;
  const f = Math.max(0, Math.min(n - 1, ((c - lo) * n) / (hi - lo) - 0.5));
  const i0 = Math.floor(f);
  return { i0, i1: Math.min(n - 1, i0 + 1), w: f - i0 };
}

/** The colour map a sign reads best in: diverging for both signs, sequential for one. */
export function colorMapFor(sign: DisplaySign): ColorMapName {
  return sign === 'all' ? 'signed' : 'heat';
}

/** The cropped-away border: a dark grey hatch, so it is not read as "no relevance". */
function hatch(out: Uint8ClampedArray, i: number, x: number, y: number): void {
  const v = (x + y) % 8 < 2 ? 96 : 48;
  out[4 * i] = v; out[4 * i + 1] = v; out[4 * i + 2] = v; out[4 * i + 3] = 255;
}

/** Region of the top `percent` % of pixels by |n| (ties included). */
function topRegion(n: Float32Array, percent: number): Uint8Array {
  const mags = Float64Array.from(n, Math.abs).filter((x) => !Number.isNaN(x)).sort();
  const cut = mags.length ? mags[Math.max(0, Math.min(mags.length - 1, Math.floor((1 - percent / 100) * mags.length)))] : Infinity;
  return Uint8Array.from(n, (v) => (Math.abs(v) >= cut && cut > 0 ? 1 : 0));
}

export interface Rendered extends Rgba {
  /** The value that saturates the colour scale (the clip threshold), and the scale's range for the colour bar. */
  threshold: number;
  range: [number, number];
  colorMap: ColorMapName | 'gray' | 'rgb';
}

/**
 * Paints one normalised map. `photo` (same size) is needed by blend, masked, alpha and outline; heatmap and bw show
 * the map alone. NaN pixels (outside the model's input) are hatched.
 */
export function paintMap(n: Normalised, mode: Exclude<DisplayMode, 'rgb'>, sign: DisplaySign, photo: Rgba | undefined, o: Pick<DisplayOptions, 'opacity' | 'outlineTop' | 'colorMap'>): Rendered {
  const { width, height, data } = n;
  const count = width * height;
  const out = new Uint8ClampedArray(4 * count);
  const cmap = o.colorMap ?? colorMapFor(sign);
  const mag = (v: number) => Math.abs(v);
  const range: [number, number] = sign === 'all' ? [-n.threshold, n.threshold] : sign === 'negative' ? [-n.threshold, 0] : [0, n.threshold];
  if ((mode !== 'heatmap' && mode !== 'bw') && (!photo || photo.width !== width || photo.height !== height)) {
    throw new Error(`display mode ${mode} needs the photo at the map's size (${width}×${height})`);
  }
  // Sequential maps read the magnitude; the diverging map reads the signed value.
  const colours = colorize(Float32Array.from(data, (v) => (cmap === 'signed' ? v : mag(v))), 1, cmap);
  const region = mode === 'outline' ? topRegion(data, o.outlineTop) : undefined;
  for (let i = 0; i < count; i++) {
    const x = i % width;
    const y = (i - x) / width;
    const v = data[i];
    if (Number.isNaN(v)) { hatch(out, i, x, y); continue; }
    const p = photo ? [photo.data[4 * i], photo.data[4 * i + 1], photo.data[4 * i + 2]] : [0, 0, 0];
    let rgb: number[];
    if (mode === 'heatmap') rgb = [colours[4 * i], colours[4 * i + 1], colours[4 * i + 2]];
    else if (mode === 'bw') rgb = [255 * mag(v), 255 * mag(v), 255 * mag(v)];
    else if (mode === 'blend') {
      // Signed maps fade to the photo near 0 (√|v| as the map's own alpha); sequential ones cover it at `opacity`.
      const a = o.opacity * (sign === 'all' ? Math.sqrt(mag(v)) : 1);
      rgb = p.map((c, k) => c * (1 - a) + colours[4 * i + k] * a);
    } else if (mode === 'masked') rgb = p.map((c) => c * mag(v));
    else if (mode === 'alpha') rgb = p.map((c) => c * mag(v) + 255 * (1 - mag(v)));
    else {
      const inside = region![i] === 1;
      const edge = inside && (x === 0 || y === 0 || x === width - 1 || y === height - 1
        || !region![i - 1] || !region![i + 1] || !region![i - width] || !region![i + width]);
      rgb = edge ? [255, 214, 0] : inside ? p : p.map((c) => c * 0.55);
    }
    out[4 * i] = rgb[0]; out[4 * i + 1] = rgb[1]; out[4 * i + 2] = rgb[2]; out[4 * i + 3] = 255;
  }
  return { width, height, data: out, threshold: n.threshold, range, colorMap: mode === 'bw' ? 'gray' : cmap };
}

/**
 * Guided backprop / deconvnet as an image (Springenberg et al.): each channel clipped and scaled on its own,
 * 0 at mid-grey; item 0 of (N, C, H, W); one channel is grey.
 */
export function rgbImage(rel: TensorData, clip: ClipSpec, frame?: InputFrame, fixed?: number): Rendered {
  const [, c, h, w] = rel.dims;
  const planes = Array.from({ length: Math.min(c, 3) }, (_, ch) => {
    let p: Plane = { width: w, height: h, data: rel.data.subarray(ch * h * w, (ch + 1) * h * w) };
    if (frame) p = toFrame(p, frame);
    return normalise(p, 'all', clip, fixed);
  });
  const { width, height } = planes[0];
  const out = new Uint8ClampedArray(4 * width * height);
  for (let i = 0; i < width * height; i++) {
    if (Number.isNaN(planes[0].data[i])) { hatch(out, i, i % width, Math.floor(i / width)); continue; }
    for (let k = 0; k < 3; k++) out[4 * i + k] = 127.5 + 127.5 * planes[Math.min(k, planes.length - 1)].data[i];
    out[4 * i + 3] = 255;
  }
  const t = Math.max(...planes.map((p) => p.threshold));
  return { width, height, data: out, threshold: t, range: [-t, t], colorMap: 'rgb' };
}

/** The whole pipeline for one batch item: reduce, (resample to the original), normalise, paint. */
export function renderRelevance(rel: TensorData, o: DisplayOptions, photo?: Rgba, frame?: InputFrame, item = 0): Rendered {
  if (o.mode === 'rgb' && rel.dims.length === 4 && rel.dims[1] > 1) {
    const [, c, h, w] = rel.dims;
    const one = { data: rel.data.subarray(item * c * h * w, (item + 1) * c * h * w), dims: [1, c, h, w] };
    return rgbImage(one, o.clip, frame, o.threshold);
  }
  let plane = relevancePlane(rel, o.reduction, item);
  if (frame) plane = toFrame(plane, frame);
  plane = offsetPlane(plane, o.offset);
  const mode = o.mode === 'rgb' ? 'heatmap' : o.mode;
  // Black and white shows magnitude (the paper's Fig. 4).
  const sign = mode === 'bw' && o.sign === 'all' ? 'absolute' : o.sign;
  return paintMap(normalise(plane, sign, o.clip, o.threshold), mode, sign, photo, o);
}

/** One saturation value for several maps (a grid on one shared scale): the clip threshold of all their values. */
export function sharedThreshold(planes: readonly Plane[], sign: DisplaySign, clip: ClipSpec): number {
  const all = new Float32Array(planes.reduce((a, p) => a + p.data.length, 0));
  let at = 0;
  for (const p of planes) { all.set(applySign(p.data, sign), at); at += p.data.length; }
  return clipThreshold(all, clip);
}

/** A reduced (H, W) map of one batch item, before any display choice (for hover values and shared scales). */
export function relevancePlane(rel: TensorData, reduction: Reduction, item = 0): Plane {
  if (rel.dims.length !== 4) return { width: rel.data.length, height: 1, data: rel.data };
  const r = reduceChannels(rel, rel.dims[1] === 1 ? 'sum' : reduction, item);
  return { width: r.width, height: r.height, data: r.data };
}

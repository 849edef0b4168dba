/**
 * The pixels the webviews draw, computed without the DOM (unit-tested in node): heatmaps (channel reduction,
 * robust scale, colour map, blend over the preview), reconstructions, first-layer filters and class masks.
 * canvas.ts puts them on canvases.
 */
import { blend, colorize, COLOR_MAPS, reduceChannels, robustScale, type ColorMapName, type Reduction } from '../src/protocol/display';
import type { RgbaPixels } from '../src/protocol/messages';
import type { DenseMap, MethodInfo, TensorData } from '../src/protocol/types';

export type ColorMapChoice = 'auto' | ColorMapName;
/** The colour-map menu: 'auto' and the maps of protocol/display.ts. */
export const COLOR_MAP_CHOICES: readonly ColorMapChoice[] = ['auto', ...COLOR_MAPS];

export interface Rgba { width: number; height: number; data: Uint8ClampedArray }

export interface PaintSettings { reduction: Reduction; cmap: ColorMapChoice; opacity: number }

export type Painting =
  /** A reconstruction: drawn scaled to the canvas, no overlay. */
  | { kind: 'image'; image: Rgba }
  /**
   * A heatmap over the preview. `blended` is set when the map has the preview's size; otherwise the canvas draws
   * the preview and `colours` scaled over it at `opacity`.
   */
  | { kind: 'heatmap'; cmap: ColorMapName; scale: number; colours: Rgba; blended?: Rgba; opacity: number };

/** (N, C, H, W) → item 0's (H, W) map; one-channel maps are summed whatever `reduction` says; other shapes are taken as the preview's size. */
export function reduceForDisplay(rel: TensorData, reduction: Reduction, preview: { width: number; height: number }): { data: Float32Array; height: number; width: number } {
  if (rel.dims.length !== 4) return { data: rel.data, height: preview.height, width: preview.width };
  return reduceChannels(rel, rel.dims[1] === 1 ? 'sum' : reduction);
}

/** 'auto': heat for one-signed data (maps, |·| reductions, non-negative values), signed otherwise. */
export function pickColorMap(choice: ColorMapChoice, output: MethodInfo['output'], reduction: Reduction, data: Float32Array): ColorMapName {
  if (choice !== 'auto') return choice;
  let min = Infinity;
  for (const v of data) if (v < min) min = v;
  return output === 'map' || reduction !== 'sum' || min >= 0 ? 'heat' : 'signed';
}

/** What a result looks like: one scale per map (the 99.5th percentile of |value|). */
export function paintResult(rel: TensorData, output: MethodInfo['output'], s: PaintSettings, preview: RgbaPixels): Painting {
  if (output === 'image' && rel.dims.length === 4) return { kind: 'image', image: reconstructionPixels(rel) };
  const reduced = reduceForDisplay(rel, s.reduction, preview);
  const cmap = pickColorMap(s.cmap, output, s.reduction, reduced.data);
  const scale = robustScale(reduced.data);
  const colours: Rgba = { width: reduced.width, height: reduced.height, data: colorize(reduced.data, scale, cmap) };
  const sameSize = reduced.width === preview.width && reduced.height === preview.height;
  const blended = sameSize ? { width: preview.width, height: preview.height, data: blend(preview.data, colours.data, s.opacity) } : undefined;
  return { kind: 'heatmap', cmap, scale, colours, blended, opacity: s.opacity };
}

/** Item 0 of an (N, C, H, W) image: min–max normalised over all its values; fewer than 3 channels show channel 0 as grey. */
export function reconstructionPixels(t: TensorData): Rgba {
  const [, c, hh, ww] = t.dims;
  const plane = hh * ww;
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < c * plane; i++) { lo = Math.min(lo, t.data[i]); hi = Math.max(hi, t.data[i]); }
  const data = new Uint8ClampedArray(4 * plane);
  for (let i = 0; i < plane; i++) {
    for (let ch = 0; ch < 3; ch++) data[4 * i + ch] = Math.round(255 * (t.data[(c >= 3 ? ch : 0) * plane + i] - lo) / (hi - lo || 1));
    data[4 * i + 3] = 255;
  }
  return { width: ww, height: hh, data };
}

/** Filter `o` of (out, in, kh, kw) weights, scaled to its own ±max: grey is 0; one input channel shows as grey. */
export function filterPixels(weights: TensorData, o: number): Rgba {
  const [, inC, kh, kw] = weights.dims;
  const per = inC * kh * kw;
  const w = weights.data.subarray(o * per, (o + 1) * per);
  let max = 1e-12;
  for (const v of w) max = Math.max(max, Math.abs(v));
  const data = new Uint8ClampedArray(4 * kh * kw);
  for (let i = 0; i < kh * kw; i++) {
    for (let ch = 0; ch < 3; ch++) data[4 * i + ch] = Math.round(127.5 + 127.5 * (w[(inC === 3 ? ch : 0) * kh * kw + i] / max));
    data[4 * i + 3] = 255;
  }
  return { width: kw, height: kh, data };
}

/** Distinct colours for any class count: hues a golden angle apart, two lightness bands. */
export function classColour(c: number): [number, number, number] {
  const h = (c * 137.508) % 360, s = 0.75, l = c % 2 ? 0.42 : 0.58;
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    return Math.round(255 * (l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

/** The arg-max class of each output pixel in its class colour, opaque, at the mask's own resolution. */
export function maskPixels(mask: DenseMap): Rgba {
  const data = new Uint8ClampedArray(4 * mask.classes.length);
  for (let i = 0; i < mask.classes.length; i++) {
    const [r, g, b] = classColour(mask.classes[i]);
    data.set([r, g, b, 255], 4 * i);
  }
  return { width: mask.width, height: mask.height, data };
}

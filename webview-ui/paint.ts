/**
 * The pixels the webviews draw, computed without the DOM (unit-tested in node): relevance maps through the one
 * display pipeline (protocol/render.ts: mode, sign, clip, resampled onto the photo), hover values, the grids'
 * shared scale, reconstructions, first-layer filters and class masks. canvas.ts puts them on canvases.
 */
import { formatValue } from '../src/protocol/colorbar';
import { COLOR_MAPS, type ColorMapName, type Reduction } from '../src/protocol/display';
import type { RgbaPixels } from '../src/protocol/messages';
import { applySign, offsetPlane, relevancePlane, renderRelevance, sharedThreshold, toFrame, type ClipSpec, type DisplayOffset, type DisplayOptions, type DisplaySign, type InputFrame, type Plane, type Rendered } from '../src/protocol/render';
import type { DenseMap, MethodInfo, TensorData } from '../src/protocol/types';

export type ColorMapChoice = 'auto' | ColorMapName;
/** The colour-map menu: 'auto' (the sign's own map) and the maps of protocol/display.ts. */
export const COLOR_MAP_CHOICES: readonly ColorMapChoice[] = ['auto', ...COLOR_MAPS];

export interface Rgba { width: number; height: number; data: Uint8ClampedArray }

export type Painting =
  /** A reconstruction at the model's input size: drawn into the input's box on the photo. */
  | { kind: 'image'; image: Rgba }
  /** A relevance map at the photo's size, with its scale for the colour bar. */
  | { kind: 'map'; image: Rendered; options: DisplayOptions };

/** One result as the panel shows it: reconstructions as images, everything else through renderRelevance. */
export function paintResult(rel: TensorData, output: MethodInfo['output'], o: DisplayOptions, photo: RgbaPixels, frame: InputFrame): Painting {
  if (output === 'image' && rel.dims.length === 4) return { kind: 'image', image: reconstructionPixels(rel) };
  return { kind: 'map', image: renderRelevance(rel, o, photo, frame), options: o };
}

/** The reduced map resampled onto the photo, before sign and normalisation: what hovering reads. */
export function valuePlane(rel: TensorData, reduction: Reduction, frame: InputFrame): Plane {
  const p = relevancePlane(rel, reduction);
  return rel.dims.length === 4 ? toFrame(p, frame) : p;
}

/** The hover line for photo pixel (x, y): the map's value there (a plane of another size is scaled) and the input's colour. */
export function readout(plane: Plane | undefined, photo: RgbaPixels, x: number, y: number): string {
  const i = y * photo.width + x;
  const rgb = `input (${photo.data[4 * i]}, ${photo.data[4 * i + 1]}, ${photo.data[4 * i + 2]})`;
  if (!plane) return `${rgb} at ${x}, ${y}`;
  const v = plane.data[Math.floor((y * plane.height) / photo.height) * plane.width + Math.floor((x * plane.width) / photo.width)];
  return `${Number.isNaN(v) ? 'outside the model\'s input (cropped)' : `relevance ${formatValue(v)}`} · ${rgb} at ${x}, ${y}`;
}

/**
 * One saturation value for a grid (the paper's comparisons): each map keeps its own sign, then the clip runs
 * over all their values together.
 */
export function gridThreshold(cells: readonly { plane: Plane; sign: DisplaySign; offset?: DisplayOffset }[], clip: ClipSpec): number {
  return sharedThreshold(cells.map((c) => ({ ...c.plane, data: applySign(offsetPlane(c.plane, c.offset).data, c.sign) })), 'all', clip);
}

/** What the colour bar under a map shows: its colours, its value range and what they mean. */
export function colorbarFor(image: Rendered, o: DisplayOptions, shared: boolean): { colorMap: Rendered['colorMap']; range: [number, number]; caption: string } {
  const what = { all: 'relevance', positive: 'positive relevance', negative: 'negative relevance', absolute: '|relevance|' }[o.sign] + (o.offset === 'min' ? ' above its minimum' : '');
  const scale = shared ? 'one scale for the grid' : o.clip.by === 'mass' ? `clipped at ${o.clip.percent} % of the mass` : `clipped at the ${100 - o.clip.percent}th percentile`;
  if (o.mode === 'masked' || o.mode === 'alpha') return { colorMap: 'gray', range: image.range, caption: `photo shown in proportion to ${what} · ${scale}` };
  if (o.mode === 'outline') return { colorMap: 'gray', range: image.range, caption: `outline: the top ${o.outlineTop} % of pixels by ${what}` };
  return { colorMap: image.colorMap, range: image.range, caption: `${o.mode === 'rgb' ? 'per-channel relevance' : what} · ${scale}` };
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

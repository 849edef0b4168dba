/**
 * Display-side helpers shared by the CLI's PNG export and the webview: channel reductions, normalisation and
 * colour maps. Raw relevance stays untouched everywhere else.
 */
import type { TensorData } from './types';

export type Reduction = 'sum' | 'abs-sum' | 'max-abs';
export const REDUCTIONS: readonly Reduction[] = ['sum', 'abs-sum', 'max-abs'];

/** (N, C, H, W) → one (H, W) map for batch item `item`. */
export function reduceChannels(t: TensorData, how: Reduction, item = 0): { data: Float32Array; height: number; width: number } {
  const [, c, h, w] = t.dims.length === 4 ? t.dims : [1, 1, 1, t.data.length];
  const plane = h * w;
  const out = new Float32Array(plane);
  const base = item * c * plane;
  for (let i = 0; i < plane; i++) {
    let acc = 0;
    for (let ch = 0; ch < c; ch++) {
      const v = t.data[base + ch * plane + i];
      if (how === 'sum') acc += v;
      else if (how === 'abs-sum') acc += Math.abs(v);
      else if (Math.abs(v) > Math.abs(acc)) acc = v;
    }
    out[i] = how === 'max-abs' ? Math.abs(acc) : acc;
  }
  return { data: out, height: h, width: w };
}

/** Robust symmetric scale: the 99.5th percentile of |v| (one extreme pixel must not wash out the map). */
export function robustScale(values: Float32Array, percentile = 0.995): number {
  const abs = Float32Array.from(values, Math.abs).sort();
  const v = abs[Math.min(abs.length - 1, Math.floor(percentile * abs.length))];
  return v > 0 ? v : Math.max(...abs) || 1;
}

export type ColorMapName = 'signed' | 'heat' | 'gray';
export const COLOR_MAPS: readonly ColorMapName[] = ['signed', 'heat', 'gray'];

type Stop = [number, number, number, number];
const SIGNED: Stop[] = [[-1, 33, 102, 172], [-0.5, 103, 169, 207], [0, 247, 247, 247], [0.5, 239, 138, 98], [1, 178, 24, 43]];
const HEAT: Stop[] = [[0, 0, 0, 4], [0.25, 87, 16, 110], [0.5, 188, 55, 84], [0.75, 249, 142, 9], [1, 252, 255, 164]];

function interpolate(stops: Stop[], t: number): [number, number, number] {
  const x = Math.max(stops[0][0], Math.min(stops[stops.length - 1][0], t));
  for (let i = 1; i < stops.length; i++) {
    if (x <= stops[i][0]) {
      const [a, b] = [stops[i - 1], stops[i]];
      const f = (x - a[0]) / (b[0] - a[0] || 1);
      return [a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2]), a[3] + f * (b[3] - a[3])];
    }
  }
  const last = stops[stops.length - 1];
  return [last[1], last[2], last[3]];
}

/**
 * Colours a map into RGBA. 'signed' centres 0 at white (blue negative, red positive) over [−scale, scale], with
 * alpha growing with |v| (√ so weak evidence stays visible) so the photo shows through where nothing is relevant;
 * 'heat' and 'gray' show [0, scale] opaquely (negative values clamp to 0).
 */
export function colorize(map: Float32Array, scale: number, cmap: ColorMapName): Uint8ClampedArray {
  const out = new Uint8ClampedArray(map.length * 4);
  for (let i = 0; i < map.length; i++) {
    const v = map[i] / scale;
    const [r, g, b] = cmap === 'signed' ? interpolate(SIGNED, v) : cmap === 'heat' ? interpolate(HEAT, v) : [255 * Math.max(0, Math.min(1, v)), 255 * Math.max(0, Math.min(1, v)), 255 * Math.max(0, Math.min(1, v))];
    out[4 * i] = r;
    out[4 * i + 1] = g;
    out[4 * i + 2] = b;
    out[4 * i + 3] = cmap === 'signed' ? 255 * Math.sqrt(Math.min(1, Math.abs(v))) : 255;
  }
  return out;
}

/** Alpha-blends a coloured map (its own alpha × opacity) over an RGBA image of the same size. */
export function blend(base: Uint8Array | Uint8ClampedArray, overlay: Uint8ClampedArray, opacity: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(base.length);
  for (let i = 0; i < base.length; i += 4) {
    const a = (overlay[i + 3] / 255) * opacity;
    for (let c = 0; c < 3; c++) out[i + c] = base[i + c] * (1 - a) + overlay[i + c] * a;
    out[i + 3] = 255;
  }
  return out;
}

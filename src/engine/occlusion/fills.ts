/**
 * What an occluded window is filled with. All fills are produced in the model's tensor units (what the model
 * consumes); "pixel" units mean 0–1 pixel values that pass through the model's normalisation
 * x = (pixel − mean[c]) / std[c] (channel c of the tensor; for BGR models tensor channel c takes colour component
 * 2 − c), "tensor" units are taken as they are.
 *
 * - value[:V1,…,VC]   one value per channel. Without values: grey 0.5 in pixel units, 0 in tensor units.
 * - random            fresh values for every window, uniform over the valid range: pixel units [0, 1] mapped
 *                     through the normalisation; tensor units [min, max] of that channel of the input item.
 *                     Drawn from `Prng` (below) seeded with the seed; ONE stream for the whole explanation, drawn
 *                     in this order: batch item, window (row-major), channel, row, column — never depending on
 *                     how windows are batched.
 * - mean              the per-channel mean of the input item (over all positions), computed in float64.
 * - blur[:SIGMA]      the same region of a Gaussian-blurred copy of the item (default σ = 5 positions). Separable
 *                     kernel exp(−k²/2σ²) for k = −r…r with r = ceil(3σ), normalised to sum 1; edges replicate the
 *                     border value (index clamped); columns (last axis) first, then rows; float64 throughout.
 */
import type { Preprocessing } from '../preprocess';
import { invalidParams } from '../errors';

export type FillSpec =
  | { kind: 'value'; values?: number[] }
  | { kind: 'random' }
  | { kind: 'mean' }
  | { kind: 'blur'; sigma: number };

export const DEFAULT_BLUR_SIGMA = 5;

const FILL_HELP = "use value[:V1,V2,…] (one value per channel), random, mean or blur[:SIGMA]";

export function parseFill(text: string): FillSpec {
  const raw = String(text).trim();
  const colon = raw.indexOf(':');
  const kind = (colon >= 0 ? raw.slice(0, colon) : raw).trim().toLowerCase();
  const arg = colon >= 0 ? raw.slice(colon + 1).trim() : undefined;
  switch (kind) {
    case 'value':
    case 'color':
    case 'colour': {
      if (arg === undefined) return { kind: 'value' };
      const values = arg.split(',').map((s) => s.trim());
      if (values.some((s) => s === '' || !Number.isFinite(Number(s)))) throw invalidParams(`fill '${raw}': the value must be numbers separated by commas, e.g. value:0.5,0.5,0.5`);
      return { kind: 'value', values: values.map(Number) };
    }
    case 'random':
    case 'mean':
      if (arg !== undefined) throw invalidParams(`fill '${raw}': ${kind} takes no argument (the random fill's seed is the seed parameter)`);
      return { kind };
    case 'blur': {
      if (arg === undefined) return { kind: 'blur', sigma: DEFAULT_BLUR_SIGMA };
      const sigma = Number(arg);
      if (arg === '' || !Number.isFinite(sigma) || sigma <= 0) throw invalidParams(`fill '${raw}': the blur σ must be a positive number, e.g. blur:3`);
      return { kind: 'blur', sigma };
    }
    default:
      throw invalidParams(`unknown fill '${raw}': ${FILL_HELP}`);
  }
}

/**
 * A small deterministic 32-bit generator (the "mulberry32" construction), documented so a reference can reproduce
 * it exactly. State a (uint32) starts at the seed; each draw, with all arithmetic modulo 2³²:
 *   a ← a + 0x6D2B79F5;  t ← (a ⊕ (a ≫ 15)) · (a | 1);  t ← t ⊕ (t + (t ⊕ (t ≫ 7)) · (t | 61));
 *   u ← (t ⊕ (t ≫ 14)) / 2³²   ∈ [0, 1)
 * (≫ is the logical right shift.)
 */
export class Prng {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    const a = this.a;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t = (t ^ (t + Math.imul(t ^ (t >>> 7), t | 61))) >>> 0;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

export type Units = 'pixel' | 'tensor';

/** Per-channel affine map from the fill's units to tensor units: tensor = (v − offset[c]) / scale[c]. */
export interface UnitMap {
  offset: number[];
  scale: number[];
  /** Which colour component feeds tensor channel c (BGR models swap). */
  source: number[];
}

export function unitMap(units: Units, channels: number, p: Preprocessing): UnitMap {
  if (units === 'tensor') return { offset: Array(channels).fill(0), scale: Array(channels).fill(1), source: [...Array(channels).keys()] };
  const pc = p.channels === 'L' ? 1 : 3;
  if (pc !== channels || p.mean.length < channels || p.std.length < channels) {
    throw invalidParams(`pixel units need an image model: this input has ${channels} channels but the model's preprocessing describes ${pc}; use units tensor`);
  }
  const source = [...Array(channels).keys()].map((c) => (p.channels === 'BGR' ? 2 - c : c));
  return { offset: p.mean.slice(0, channels), scale: p.std.slice(0, channels), source };
}

/** Writes the fill of one window into one row (a copy of the item) of the batch. */
export interface Filler {
  /** row: the (C, …size) slice to modify; origin: the window start per axis. */
  apply(row: Float32Array, origin: number[]): void;
}

interface Geometry {
  channels: number;
  size: number[];
  box: number[];
}

/** Visits every element of the window in the documented order (channel, row, column), giving its flat index. */
function forWindow(g: Geometry, origin: number[], visit: (index: number, channel: number) => void): void {
  const plane = g.size.reduce((a, b) => a * b, 1);
  for (let c = 0; c < g.channels; c++) {
    const base = c * plane;
    if (g.size.length === 1) {
      for (let x = origin[0]; x < origin[0] + g.box[0]; x++) visit(base + x, c);
    } else {
      const W = g.size[1];
      for (let y = origin[0]; y < origin[0] + g.box[0]; y++) {
        for (let x = origin[1]; x < origin[1] + g.box[1]; x++) visit(base + y * W + x, c);
      }
    }
  }
}

/** Builds the filler for one batch item. `rng` is shared across items (one stream). */
export function makeFiller(spec: FillSpec, item: Float32Array, g: Geometry, units: Units, map: UnitMap, rng: Prng): Filler {
  const C = g.channels;
  const plane = g.size.reduce((a, b) => a * b, 1);
  switch (spec.kind) {
    case 'value': {
      let values = spec.values;
      if (values && values.length !== C) {
        throw invalidParams(`fill value has ${values.length} component${values.length === 1 ? '' : 's'} but the input has ${C} channel${C === 1 ? '' : 's'}; give one value per channel`);
      }
      values ??= Array(C).fill(units === 'pixel' ? 0.5 : 0);
      const fill = Float32Array.from({ length: C }, (_, c) => (values![map.source[c]] - map.offset[c]) / map.scale[c]);
      return { apply: (row, origin) => forWindow(g, origin, (i, c) => (row[i] = fill[c])) };
    }
    case 'mean': {
      const fill = new Float32Array(C);
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let i = c * plane; i < (c + 1) * plane; i++) s += item[i];
        fill[c] = s / plane;
      }
      return { apply: (row, origin) => forWindow(g, origin, (i, c) => (row[i] = fill[c])) };
    }
    case 'random': {
      const lo: number[] = [];
      const span: number[] = [];
      for (let c = 0; c < C; c++) {
        if (units === 'pixel') {
          lo.push(0);
          span.push(1);
        } else {
          let min = Infinity;
          let max = -Infinity;
          for (let i = c * plane; i < (c + 1) * plane; i++) {
            min = Math.min(min, item[i]);
            max = Math.max(max, item[i]);
          }
          lo.push(min);
          span.push(max - min);
        }
      }
      return { apply: (row, origin) => forWindow(g, origin, (i, c) => (row[i] = (lo[c] + rng.next() * span[c] - map.offset[c]) / map.scale[c])) };
    }
    case 'blur': {
      const blurred = gaussianBlur(item, C, g.size, spec.sigma);
      return { apply: (row, origin) => forWindow(g, origin, (i) => (row[i] = blurred[i])) };
    }
  }
}

export function gaussianKernel(sigma: number): Float64Array {
  const r = Math.ceil(3 * sigma);
  const k = new Float64Array(2 * r + 1);
  let s = 0;
  for (let i = -r; i <= r; i++) s += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= s;
  return k;
}

/** Separable Gaussian blur of a (C, …size) item, edges replicated; float64 inside, float32 out. */
export function gaussianBlur(item: Float32Array, channels: number, size: number[], sigma: number): Float32Array {
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) / 2;
  const H = size.length === 1 ? 1 : size[0];
  const W = size[size.length - 1];
  const plane = H * W;
  const out = new Float32Array(item.length);
  const tmp = new Float64Array(plane);
  const clamp = (v: number, n: number) => (v < 0 ? 0 : v >= n ? n - 1 : v);
  for (let c = 0; c < channels; c++) {
    const base = c * plane;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let s = 0;
        for (let j = -r; j <= r; j++) s += k[j + r] * item[base + y * W + clamp(x + j, W)];
        tmp[y * W + x] = s;
      }
    }
    if (size.length === 1) {
      for (let x = 0; x < W; x++) out[base + x] = tmp[x];
      continue;
    }
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let s = 0;
        for (let j = -r; j <= r; j++) s += k[j + r] * tmp[clamp(y + j, H) * W + x];
        out[base + y * W + x] = s;
      }
    }
  }
  return out;
}

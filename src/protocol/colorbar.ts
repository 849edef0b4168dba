/**
 * The colour bar under a rendered map (webview, figures): its gradient and its value ticks, read from the `range`
 * and `colorMap` that render.ts reports, so the bar shows exactly the colours the map uses. Pure TS.
 */
import { colorize } from './display';
import type { Rendered } from './render';

export interface Tick {
  value: number;
  label: string;
  /** Position along the bar, 0 (left, range[0]) … 1 (right, range[1]). */
  at: number;
}

/** Three significant digits; exponents outside [0.001, 10 000) so small gradients stay readable. */
export function formatValue(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return v === 0 ? '0' : String(v);
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e4) return v.toExponential(2).replace(/\.?0+e/, 'e').replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
}

/** min, 0 (when strictly inside) and max of the scale. */
export function colorbarTicks(range: readonly [number, number]): Tick[] {
  const [lo, hi] = range;
  const span = hi - lo || 1;
  const ticks: Tick[] = [{ value: lo, label: formatValue(lo), at: 0 }];
  if (lo < 0 && hi > 0) ticks.push({ value: 0, label: '0', at: -lo / span });
  ticks.push({ value: hi, label: formatValue(hi), at: 1 });
  return ticks;
}

/**
 * One opaque RGBA row of `width` pixels from range[0] to range[1], coloured as paintMap colours a value: the
 * diverging map reads v / t, sequential maps and grey read |v| / t (t = the larger end), 'rgb' is the
 * per-channel image's grey ramp (0 at mid-grey).
 */
export function colorbarPixels(colorMap: Rendered['colorMap'], range: readonly [number, number], width: number): Uint8ClampedArray {
  const [lo, hi] = range;
  const t = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  const n = Float32Array.from({ length: width }, (_, x) => (lo + ((x + 0.5) / width) * (hi - lo)) / t);
  let out: Uint8ClampedArray;
  if (colorMap === 'rgb') {
    out = new Uint8ClampedArray(4 * width);
    n.forEach((v, x) => out.fill(127.5 + 127.5 * v, 4 * x, 4 * x + 3));
  } else {
    out = colorize(colorMap === 'signed' ? n : n.map(Math.abs), 1, colorMap);
  }
  for (let x = 0; x < width; x++) out[4 * x + 3] = 255;
  return out;
}

/**
 * Line-chart geometry for the Trust section's curves (deletion / insertion, the randomisation similarity) and the
 * evaluate summary plot: linear scales, rounded axis ticks, SVG path data. Pure TS, so it is unit-tested.
 */

export interface ChartBox {
  width: number;
  height: number;
  /** Margins left for the axes' labels. */
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export type Scale = (v: number) => number;

/** Maps `domain` linearly onto `range` (a zero-width domain maps to the range's middle). */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (d1 === d0) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

/** About `count` round tick values (1, 2 or 5 × 10ⁿ apart) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi === lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = Math.ceil(lo / step - 1e-9) * step;
  const out: number[] = [];
  // Rounded to the step's decimals so 0.30000000000000004 prints as 0.3.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  for (let v = first; v <= hi + step * 1e-9; v += step) out.push(Number(v.toFixed(decimals)));
  return out;
}

/** [min, max] of the values, widened to include `include` (e.g. 0 and 1 for probabilities). */
export function extent(values: Iterable<number>, include: readonly number[] = []): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const v of [...values, ...include]) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

/** The SVG path `M x y L x y …` of a polyline through the finite points (gaps start a new segment). */
export function linePath(xs: readonly number[], ys: readonly number[], sx: Scale, sy: Scale): string {
  const parts: string[] = [];
  let pen = false;
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    if (!Number.isFinite(xs[i]) || !Number.isFinite(ys[i])) { pen = false; continue; }
    parts.push(`${pen ? 'L' : 'M'}${round(sx(xs[i]))} ${round(sy(ys[i]))}`);
    pen = true;
  }
  return parts.join(' ');
}

/** The area under the polyline down to `baseline` (for shading the AUC). */
export function areaPath(xs: readonly number[], ys: readonly number[], sx: Scale, sy: Scale, baseline: number): string {
  const line = linePath(xs, ys, sx, sy);
  if (!line || line.includes(' M')) return '';
  return `${line} L${round(sx(xs[xs.length - 1]))} ${round(sy(baseline))} L${round(sx(xs[0]))} ${round(sy(baseline))} Z`;
}

const round = (v: number) => Math.round(v * 100) / 100;

/** Scales for a box: x to [left, width − right], y to [height − bottom, top] (y grows upwards). */
export function boxScales(box: ChartBox, xDomain: readonly [number, number], yDomain: readonly [number, number]): { sx: Scale; sy: Scale } {
  return {
    sx: linearScale(xDomain, [box.left, box.width - box.right]),
    sy: linearScale(yDomain, [box.height - box.bottom, box.top]),
  };
}

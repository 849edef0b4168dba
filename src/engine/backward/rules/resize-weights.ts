/**
 * Resize for fixed shapes is linear and separable: output = (⊗ per-axis matrices) · input (+ the extrapolation
 * value where tf_crop_and_resize samples outside the input). This builds each resized axis's matrix the way
 * onnxruntime's CPU kernel does (the compiled graph's forward pass is onnxruntime's), in float32 where it rounds:
 * the ONNX reference's kernels (onnx/reference/ops/op_resize.py) with onnxruntime's coordinate transforms, which
 * differ from the reference where align_corners and tf_crop_and_resize use the integer output length,
 * pytorch_half_pixel maps a length-1 output to 0 (not −0.5), an axis with scale 1 is copied, and so is a whole
 * tensor whose shape does not change (or, antialiased, an axis whose length does not change).
 * test/unit/resize-weights.test.ts checks these matrices against onnxruntime's output.
 */
import { getFloat, getInt, getInts, getString, type Node } from '../../ir/graph';

const f = Math.fround;

export interface ResizeSpec {
  mode: string;
  coord: string;
  nearestMode: string;
  cubicA: number;
  excludeOutside: boolean;
  antialias: boolean;
  extrapolation: number;
  /** Per-axis scale (output / input) as onnxruntime holds it (float32). */
  scales: number[];
  /** Per-axis region of interest, starts then ends (tf_crop_and_resize). */
  roi: number[];
}

export interface AxisWeights {
  axis: number;
  inLen: number;
  outLen: number;
  /** outLen × inLen, row-major. */
  w: Float64Array;
  /** Rows whose output is the extrapolation value. */
  outside: boolean[];
  /** Source position of each row when every row is a single 1 (nearest): the map is a selection. */
  select?: number[];
}

/** Reads a Resize node; `roi`, `scales`, `sizes` are the constant inputs' values (empty when absent). */
export function resizeSpec(node: Node, inShape: number[], roi: number[], scales: number[], sizes: number[]): ResizeSpec {
  const rank = inShape.length;
  const axes = (getInts(node, 'axes') ?? []).map((a) => (a < 0 ? a + rank : a));
  const spread = (v: number[], fill: number) => {
    if (!axes.length) return v;
    const out = new Array<number>(rank).fill(fill);
    axes.forEach((a, i) => (out[a] = v[i]));
    return out;
  };
  let s: number[];
  if (scales.length) {
    s = spread(scales.map(f), 1);
  } else {
    const requested = spread(sizes, NaN).map((v, i) => (Number.isNaN(v) ? inShape[i] : v));
    s = requested.map((o, i) => (inShape[i] === 0 ? 1 : f(o / inShape[i])));
    const policy = getString(node, 'keep_aspect_ratio_policy', 'stretch');
    if (policy !== 'stretch') {
      const chosen = axes.length ? axes : s.map((_, i) => i);
      const pick = chosen.map((a) => s[a]);
      const one = policy === 'not_larger' ? Math.min(...pick) : Math.max(...pick);
      s = s.map((_, i) => (chosen.includes(i) ? one : 1));
    }
  }
  let region = [...inShape.map(() => 0), ...inShape.map(() => 1)];
  const coord = getString(node, 'coordinate_transformation_mode', 'half_pixel');
  // onnxruntime reads roi only for tf_crop_and_resize.
  if (roi.length && coord === 'tf_crop_and_resize') {
    if (axes.length) axes.forEach((a, i) => { region[a] = roi[i]; region[a + rank] = roi[i + axes.length]; });
    else region = roi;
  }
  return {
    mode: getString(node, 'mode', 'nearest'),
    coord,
    nearestMode: getString(node, 'nearest_mode', 'round_prefer_floor'),
    cubicA: f(getFloat(node, 'cubic_coeff_a', -0.75)),
    excludeOutside: getInt(node, 'exclude_outside', 0) === 1,
    antialias: getInt(node, 'antialias', 0) === 1,
    extrapolation: f(getFloat(node, 'extrapolation_value', 0)),
    scales: s,
    roi: region.map(f),
  };
}

/** The input coordinate of output position x (onnxruntime's GetOriginalCoordinateFromResizedCoordinate). */
function original(coord: string, x: number, scale: number, outLen: number, inLen: number, roiStart: number, roiEnd: number): number {
  switch (coord) {
    case 'asymmetric': return f(x / scale);
    case 'pytorch_half_pixel': return outLen > 1 ? f(f(f(x + 0.5) / scale) - 0.5) : 0;
    case 'tf_half_pixel_for_nn': return f(f(x + 0.5) / scale);
    case 'align_corners': return outLen === 1 ? 0 : f(f(x * (inLen - 1)) / (outLen - 1));
    case 'tf_crop_and_resize':
      return outLen > 1
        ? f(roiStart * (inLen - 1) + (x * (roiEnd - roiStart) * (inLen - 1)) / (outLen - 1))
        : f(0.5 * f(roiStart + roiEnd) * (inLen - 1));
    case 'half_pixel_symmetric': {
      const adjustment = f(outLen / f(scale * inLen));
      const offset = f(f(inLen / 2) * f(1 - adjustment));
      return f(offset + (x + 0.5) / scale - 0.5);
    }
    case 'half_pixel': return f(f(f(x + 0.5) / scale) - 0.5);
    default: throw new Error(`coordinate_transformation_mode '${coord}' is not supported`);
  }
}

/** std::round: halves away from zero. */
const roundAway = (v: number) => Math.sign(v) * Math.round(Math.abs(v));

function nearestPixel(mode: string, x: number): number {
  switch (mode) {
    case 'round_prefer_ceil': return roundAway(x);
    case 'floor': return Math.floor(x);
    case 'ceil': return Math.ceil(x);
    default: return x === f(Math.trunc(x) + 0.5) ? Math.floor(x) : roundAway(x);
  }
}

function cubicCoeffs(s: number, a: number): number[] {
  const k = (t: number) => {
    t = Math.abs(t);
    if (t <= 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
    return t < 2 ? ((a * t - 5 * a) * t + 8 * a) * t - 4 * a : 0;
  };
  return [k(s + 1), k(s), k(1 - s), k(2 - s)].map(f);
}

/** The antialias filters (the reference's linear and Keys cubic kernels, in float64 as it computes them). */
function aaFilter(mode: string, a: number, x: number): number {
  x = Math.abs(x);
  if (mode === 'linear') return Math.min(Math.max(1 - x, 0), 1);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  return x < 2 ? ((a * x - 5 * a) * x + 8 * a) * x - 4 * a : 0;
}

/** One axis's matrix. */
export function axisWeights(spec: ResizeSpec, axis: number, inLen: number, outLen: number): AxisWeights {
  const rank = spec.roi.length / 2;
  const scale = spec.scales[axis];
  const [roiStart, roiEnd] = [spec.roi[axis], spec.roi[axis + rank]];
  const extrapolate = spec.coord === 'tf_crop_and_resize';
  const w = new Float64Array(outLen * inLen);
  const outside: boolean[] = new Array(outLen).fill(false);
  const clamp = (j: number) => Math.min(Math.max(j, 0), inLen - 1);
  const coordinate = (i: number) => (scale === 1 ? i : original(spec.coord, i, scale, outLen, inLen, roiStart, roiEnd));
  // Antialiasing copies an axis whose length does not change, whatever its scale (only extrapolation still applies).
  const copied = spec.antialias && spec.mode !== 'nearest' && inLen === outLen;
  const beyond = (v: number) => extrapolate && (v < 0 || v > inLen - 1);
  for (let i = 0; i < outLen; i++) {
    const row = i * inLen;
    const x = coordinate(i);
    if (spec.antialias && spec.mode !== 'nearest') {
      // The filter stretched by 1/scale when downsampling, over the nearest taps (onnxruntime follows the ONNX
      // reference here): `n` taps at offsets start … start + n − 1 from the sample's left neighbour.
      if (beyond(x)) { outside[i] = true; continue; }
      if (copied) { w[row + i] = 1; continue; }
      const s = Math.min(scale, 1);
      const start = Math.floor((spec.mode === 'linear' ? -1 : -2) / s) + 1;
      const n = 2 - 2 * start;
      const base = Math.floor(x);
      const ratio = x === base ? 1 : x - base;
      const first = x === base ? base - n / 2 : base - n / 2 + 1;
      const taps = Array.from({ length: n }, (_, k) => aaFilter(spec.mode, spec.cubicA, (start + k - ratio) * s));
      let sum = taps.reduce((p, v) => p + v, 0);
      let c = taps.map((v) => v / sum);
      if (spec.excludeOutside) {
        c = c.map((v, k) => (first + k < 0 || first + k >= inLen ? 0 : v));
        sum = c.reduce((p, v) => p + v, 0);
        c = c.map((v) => (sum === 0 ? v : v / sum));
      }
      c.forEach((v, k) => (w[row + clamp(first + k)] += v));
      continue;
    }
    if (spec.mode === 'nearest') {
      if (scale !== 1 && beyond(x)) { outside[i] = true; continue; }
      w[row + (scale === 1 ? i : clamp(nearestPixel(spec.nearestMode, x)))] = 1;
    } else if (spec.mode === 'linear') {
      if (beyond(x)) { outside[i] = true; continue; }
      const v = Math.min(Math.max(x, 0), inLen - 1);
      const i1 = Math.min(Math.trunc(v), inLen - 1);
      const i2 = Math.min(i1 + 1, inLen - 1);
      const [d1, d2] = i1 === i2 ? [0.5, 0.5] : [f(Math.abs(v - i1)), f(Math.abs(v - i2))];
      w[row + i1] += d2;
      w[row + i2] += d1;
    } else if (spec.mode === 'cubic') {
      if (beyond(x)) { outside[i] = true; continue; }
      const base = Math.floor(x);
      const c = cubicCoeffs(f(x - base), spec.cubicA);
      let sum = 1;
      if (spec.excludeOutside) {
        c.forEach((v, k) => { if (base - 1 + k < 0 || base - 1 + k >= inLen) c[k] = 0; });
        sum = f(c[0] + c[1] + c[2] + c[3]);
      }
      c.forEach((v, k) => (w[row + clamp(base - 1 + k)] += f(v / sum)));
    } else {
      throw new Error(`Resize mode '${spec.mode}' is not supported`);
    }
  }
  let select: number[] | undefined = [];
  for (let i = 0; i < outLen && select; i++) {
    const row = w.subarray(i * inLen, (i + 1) * inLen);
    const j = row.indexOf(1);
    if (outside[i] || j < 0 || row.some((v, k) => k !== j && v !== 0)) select = undefined;
    else select.push(j);
  }
  return { axis, inLen, outLen, w, outside, select };
}

/** The matrices of the axes the node actually resizes (identity axes left out), in axis order. */
export function resizeWeights(spec: ResizeSpec, inShape: number[], outShape: number[]): AxisWeights[] {
  // onnxruntime copies the input through when no output dimension changes.
  if (inShape.every((d, i) => d === outShape[i])) return [];
  const out: AxisWeights[] = [];
  inShape.forEach((n, axis) => {
    if (spec.scales[axis] === 1 && outShape[axis] === n) return;
    const aw = axisWeights(spec, axis, n, outShape[axis]);
    const identity = n === outShape[axis] && aw.select?.every((j, i) => j === i);
    if (!identity) out.push(aw);
  });
  return out;
}

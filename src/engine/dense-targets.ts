/**
 * Targets on spatial outputs — segmentation (N, K, H, W), depth (N, 1, H, W), keypoint heatmaps: `class:K` is the
 * class-K logits summed over the pixels where the model predicts K (arg-max over axis 1), optionally only inside a
 * region given in input pixels and mapped to the output's resolution (a stride-8 head has an 8× smaller grid).
 * The compiled graph takes the arg-max itself (weight = fv_class_select ⊙ onehot(argmax) ⊙ fv_region, see
 * compile.ts), so a slider move stays one run; `applyDense` computes the same weighting from an output here (target
 * values, forward-only methods).
 */
import type { DenseMap, Prediction, Region, TensorData } from '../protocol/types';
import type { ResolvedTarget } from './targets';
import { invalidParams } from './errors';

export interface DenseTarget {
  /** [N, K, 1, …]: 1 for the class each item explains (all ones: every pixel's own predicted class). */
  select: TensorData;
  /** [1, 1, …spatial] of the target tensor: 1 inside the region, everywhere without one. */
  region: TensorData;
  /** What the description says before the pixel count is known. */
  what: string;
  where: string;
}

/** `y0,x0,y1,x1` (input pixels, exclusive ends). Bounds against the input are checked when the target resolves. */
export function parseRegion(text: string): Region {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length !== 4 || parts.some((p) => !/^\d+$/.test(p))) {
    throw invalidParams(`region '${text}' must be four whole numbers y0,x0,y1,x1 (input pixels, exclusive ends), e.g. 16,16,112,96`);
  }
  const [y0, x0, y1, x1] = parts.map(Number);
  return { y0, x0, y1, x1 };
}

const show = (r: Region) => `${r.y0},${r.x0},${r.y1},${r.x1}`;

/** One clear error for an inverted, empty or out-of-image region. */
export function checkRegion(r: Region, height: number, width: number): void {
  const vals = [r.y0, r.x0, r.y1, r.x1];
  if (vals.some((v) => !Number.isInteger(v))) throw invalidParams(`region ${vals.join(',')} must be whole numbers of input pixels`);
  if (r.y1 <= r.y0 || r.x1 <= r.x0) {
    throw invalidParams(`region ${show(r)} is empty or inverted: it needs y0 < y1 and x0 < x1 (y0,x0,y1,x1 in input pixels, exclusive ends)`);
  }
  if (r.y0 < 0 || r.x0 < 0 || r.y1 > height || r.x1 > width) {
    throw invalidParams(`region ${show(r)} lies outside the ${height}×${width} input: it needs 0 ≤ y0 < y1 ≤ ${height} and 0 ≤ x0 < x1 ≤ ${width}`);
  }
}

/** The output cells a box of input pixels touches (conservative: a cell partly inside counts). */
export function mapRegion(r: Region, input: [number, number], output: [number, number]): Region {
  const [ih, iw] = input;
  const [oh, ow] = output;
  const lo = (v: number, i: number, o: number) => Math.min(o - 1, Math.floor((v * o) / i));
  const hi = (v: number, i: number, o: number, start: number) => Math.max(start + 1, Math.min(o, Math.ceil((v * o) / i)));
  const y0 = lo(r.y0, ih, oh), x0 = lo(r.x0, iw, ow);
  return { y0, x0, y1: hi(r.y1, ih, oh, y0), x1: hi(r.x1, iw, ow, x0) };
}

/** The region as a [1, 1, H, W] mask over the target's grid (all ones without a region). */
export function regionMask(region: Region | undefined, inputShape: number[], targetShape: number[]): { mask: TensorData; where: string } {
  const spatial = targetShape.slice(2);
  const plane = spatial.reduce((a, b) => a * b, 1);
  const dims = [1, 1, ...spatial];
  if (!region) return { mask: { data: new Float32Array(plane).fill(1), dims }, where: '' };
  if (inputShape.length !== 4 || targetShape.length !== 4) {
    throw invalidParams(`a region needs an image input and a spatial target (N, C, H, W); here the input is [${inputShape.join(', ')}] and the target [${targetShape.join(', ')}]`);
  }
  const [ih, iw] = inputShape.slice(2);
  checkRegion(region, ih, iw);
  const [oh, ow] = spatial;
  const box = mapRegion(region, [ih, iw], [oh, ow]);
  const data = new Float32Array(plane);
  for (let y = box.y0; y < box.y1; y++) data.fill(1, y * ow + box.x0, y * ow + box.x1);
  const same = oh === ih && ow === iw;
  return { mask: { data, dims }, where: ` in region ${show(region)}${same ? '' : ` (output cells ${show(box)} of ${oh}×${ow})`}` };
}

/** Multiplies an explicit weighting (unit or weights targets) by the region mask, item by item. */
export function restrictToRegion(weights: TensorData, region: Region | undefined, inputShape: number[]): { weights: TensorData; where: string } {
  if (!region) return { weights, where: '' };
  const { mask, where } = regionMask(region, inputShape, weights.dims);
  const plane = mask.data.length;
  const data = Float32Array.from(weights.data);
  for (let i = 0; i < data.length; i++) data[i] *= mask.data[i % plane];
  return { weights: { data, dims: weights.dims }, where };
}

const classLabel = (c: number, labels?: string[]) => (labels?.[c] ? `${c} (${labels[c]})` : String(c));

/** A class target on a spatial output: the weighting is built in the graph from the arg-max. */
export function denseClassTarget(classes: number[] | 'predicted', tensor: string, shape: number[], inputShape: number[],
  region: Region | undefined, labels?: string[]): ResolvedTarget {
  const [n, k] = shape;
  const tail = shape.slice(2).map(() => 1);
  const select = new Float32Array(n * k);
  if (classes === 'predicted') select.fill(1);
  else {
    if (classes.length !== 1 && classes.length !== n) throw invalidParams(`give one class or one per batch item (${n}); got ${classes.length}`);
    for (let b = 0; b < n; b++) {
      const c = classes.length === 1 ? classes[0] : classes[b];
      if (!Number.isInteger(c) || c < 0 || c >= k) throw invalidParams(`class index ${c} is out of range: '${tensor}' has ${k} classes (0–${k - 1}) along axis 1`);
      select[b * k + c] = 1;
    }
  }
  const { mask, where } = regionMask(region, inputShape, shape);
  const what = classes === 'predicted' ? "each pixel's predicted class" : `class ${classes.map((c) => classLabel(c, labels)).join(', ')} where predicted`;
  return {
    tensor,
    weights: { data: new Float32Array(shape.reduce((a, b) => a * b, 1)), dims: shape },
    description: what + where,
    dense: { select: { data: select, dims: [n, k, ...tail] }, region: mask, what, where },
  };
}

/**
 * The weighting the graph uses, computed from the target tensor's values: select ⊙ [value = max over axis 1] ⊙
 * region (ties all count, as Equal does in the graph). Also counts each item's selected pixels.
 */
export function applyDense(dense: DenseTarget, values: Float32Array, dims: number[]): { weights: Float32Array; pixels: number[] } {
  const [n, k] = dims;
  const plane = dims.slice(2).reduce((a, b) => a * b, 1);
  const weights = new Float32Array(values.length);
  const pixels: number[] = [];
  for (let b = 0; b < n; b++) {
    let count = 0;
    for (let p = 0; p < plane; p++) {
      if (dense.region.data[p] === 0) continue;
      let max = -Infinity;
      for (let c = 0; c < k; c++) max = Math.max(max, values[(b * k + c) * plane + p]);
      let hit = false;
      for (let c = 0; c < k; c++) {
        const i = (b * k + c) * plane + p;
        if (values[i] === max && dense.select.data[b * k + c] !== 0) { weights[i] = 1; hit = true; }
      }
      if (hit) count++;
    }
    pixels.push(count);
  }
  return { weights, pixels };
}

/** The description once the selected pixels are counted (an empty selection explains nothing: say so). */
export function describeDense(dense: DenseTarget, pixels: number[]): string {
  const counts = pixels.map((p) => `${p} px`).join(', ');
  const none = pixels.some((p) => p === 0) ? ' — no pixel selected, so the target and the map are zero' : '';
  return `${dense.what}${dense.where}: ${counts}${none}`;
}

/**
 * Per item, the classes present (arg-max over axis 1) with their share of pixels, most pixels first: `probability`
 * is the class's mean probability over all pixels (softmax over axis 1 unless the output already is one), `logit`
 * its mean output value where it is predicted.
 */
export function denseSummary(out: TensorData, isProbability: boolean, labels: string[] | undefined, top: number): Prediction[][] {
  const [n, k] = out.dims;
  const plane = out.dims.slice(2).reduce((a, b) => a * b, 1);
  const result: Prediction[][] = [];
  const v = out.data;
  for (let b = 0; b < n; b++) {
    const counts = new Float64Array(k), logits = new Float64Array(k), probs = new Float64Array(k);
    for (let p = 0; p < plane; p++) {
      let best = 0, max = -Infinity;
      for (let c = 0; c < k; c++) { const x = v[(b * k + c) * plane + p]; if (x > max) { max = x; best = c; } }
      counts[best]++;
      logits[best] += max;
      let sum = 0;
      for (let c = 0; c < k; c++) sum += isProbability ? v[(b * k + c) * plane + p] : Math.exp(v[(b * k + c) * plane + p] - max);
      for (let c = 0; c < k; c++) {
        const x = v[(b * k + c) * plane + p];
        probs[c] += (isProbability ? x : Math.exp(x - max)) / (sum || 1);
      }
    }
    const present = [...counts.keys()].filter((c) => counts[c] > 0).sort((i, j) => counts[j] - counts[i]).slice(0, top);
    result.push(present.map((c) => ({
      index: c, label: labels?.[c], logit: logits[c] / counts[c], probability: probs[c] / plane, fraction: counts[c] / plane,
    })));
  }
  return result;
}

/** Item 0's arg-max map of an (N, K, H, W) output, for the panel's mask overlay. */
export function denseMap(out: TensorData, isProbability: boolean, labels: string[] | undefined): DenseMap {
  const [, k, height, width] = out.dims;
  const plane = height * width;
  const classes = new Int32Array(plane);
  for (let p = 0; p < plane; p++) {
    let best = 0, max = -Infinity;
    for (let c = 0; c < k; c++) { const x = out.data[c * plane + p]; if (x > max) { max = x; best = c; } }
    classes[p] = best;
  }
  const item0 = { data: out.data.subarray(0, k * plane), dims: [1, k, height, width] };
  return { height, width, classes, present: denseSummary(item0, isProbability, labels, k)[0] };
}

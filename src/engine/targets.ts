/**
 * Targets, loss-layer agnostic: a weighting of one tensor. `class:K` one-hot on the logits, `unit:T:C` a channel
 * of any tensor, `unit:T:C:Y:X` one neuron, or an arbitrary weighting of an output (regression, segmentation).
 */
import type { Region, TargetSpec, TensorData } from '../protocol/types';
import { dataInputs, producers, type Graph } from './ir/graph';
import { invalidParams } from './errors';
import { denseClassTarget, restrictToRegion, type DenseTarget } from './dense-targets';

/** Parses the CLI/target string form. Weights files are handled by the caller. */
export function parseTarget(text: string, labels?: string[]): TargetSpec {
  const [kind, ...rest] = text.split(':');
  if (kind === 'class') {
    const arg = rest.join(':');
    if (/^-?\d+(,-?\d+)*$/.test(arg)) {
      const idx = arg.split(',').map(Number);
      return { kind: 'class', index: idx.length === 1 ? idx[0] : idx };
    }
    if (!arg) throw invalidParams("target 'class:' needs an index or a label, e.g. class:281 or class:tabby");
    if (!labels) throw invalidParams(`target '${text}': this model has no labels; give the class index (class:K)`);
    return { kind: 'label', label: arg };
  }
  if (kind === 'unit') {
    if (rest.length < 2) throw invalidParams(`target '${text}' must be unit:TENSOR:C or unit:TENSOR:C:Y:X`);
    // Tensor names may contain ':'; the numbers are the trailing fields.
    const nums: number[] = [];
    while (rest.length > 1 && /^\d+$/.test(rest[rest.length - 1]) && nums.length < 3) nums.unshift(Number(rest.pop()));
    const tensor = rest.join(':');
    if (nums.length === 1) return { kind: 'unit', tensor, channel: nums[0] };
    if (nums.length === 3) return { kind: 'unit', tensor, channel: nums[0], y: nums[1], x: nums[2] };
    throw invalidParams(`target '${text}' must be unit:TENSOR:C or unit:TENSOR:C:Y:X`);
  }
  throw invalidParams(`unknown target '${text}': use class:K, class:LABEL, unit:TENSOR:C, unit:TENSOR:C:Y:X or a weights .npy`);
}

/** The tensor that class targets refer to: the first output, or the logits feeding a final (Log)Softmax. */
export function logitsTensor(g: Graph): string {
  const out = g.outputs[0].name;
  const prod = producers(g).get(out);
  if (prod && (prod.op === 'Softmax' || prod.op === 'LogSoftmax')) return prod.inputs[0];
  return out;
}

export interface ResolvedTarget {
  tensor: string;
  weights: TensorData;
  description: string;
  /** Class targets on a spatial output: the weighting comes from the arg-max (dense-targets.ts), `weights` is 0. */
  dense?: DenseTarget;
}

/**
 * `region` (input pixels) restricts a target on a spatial tensor to a box; with a class target on a spatial output
 * (segmentation) the class counts only where the model predicts it.
 */
export function resolveTarget(spec: TargetSpec, g: Graph, shapes: Map<string, number[]>, labels?: string[], region?: Region): ResolvedTarget {
  const inputShape = shapes.get(dataInputs(g)[0].name) ?? [];
  if (spec.kind === 'class' || spec.kind === 'label') {
    const tensor = logitsTensor(g);
    const shape = shapes.get(tensor)!;
    if (shape.length < 2) throw invalidParams(`class targets need an output (batch, classes, …); '${tensor}' has shape [${shape.join(', ')}]. Use unit:TENSOR:… or a weights .npy.`);
    if (shape.length === 2 && region) throw invalidParams(`a region needs a spatial output (N, K, H, W); '${tensor}' has shape [${shape.join(', ')}], one score per class`);
    const [n, k] = shape;
    let indices: number[];
    if (spec.kind === 'label') {
      const want = spec.label.toLowerCase();
      const i = labels?.findIndex((l) => l.toLowerCase() === want) ?? -1;
      const j = i >= 0 ? i : labels?.findIndex((l) => l.toLowerCase().split(',').map((s) => s.trim()).includes(want)) ?? -1;
      if (j < 0) throw invalidParams(`no class labelled '${spec.label}' in this model's labels`);
      indices = [j];
    } else indices = Array.isArray(spec.index) ? spec.index : [spec.index];
    if (shape.length > 2) return denseClassTarget(indices, tensor, shape, inputShape, region, labels);
    if (indices.length !== 1 && indices.length !== n) throw invalidParams(`give one class or one per batch item (${n}); got ${indices.length}`);
    const data = new Float32Array(n * k);
    for (let b = 0; b < n; b++) {
      const c = indices.length === 1 ? indices[0] : indices[b];
      if (!Number.isInteger(c) || c < 0 || c >= k) throw invalidParams(`class index ${c} is out of range: this model has ${k} classes (0–${k - 1})`);
      data[b * k + c] = 1;
    }
    const what = indices.map((c) => (labels?.[c] ? `${c} (${labels[c]})` : String(c))).join(', ');
    return { tensor, weights: { data, dims: shape }, description: `class ${what}` };
  }
  const shape = shapes.get(spec.tensor);
  if (!shape) throw invalidParams(`no tensor named '${spec.tensor}' in this model; list tensors with 'featurevis layers'`);
  if (spec.kind === 'weights') {
    const w = spec.weights;
    const sameTail = w.dims.length === shape.length && w.dims.slice(1).every((d, i) => d === shape[i + 1]);
    if (!sameTail || (w.dims[0] !== shape[0] && w.dims[0] !== 1)) {
      throw invalidParams(`the target weighting has shape [${w.dims.join(', ')}] but '${spec.tensor}' has shape [${shape.join(', ')}]`);
    }
    let full = w;
    if (w.dims[0] !== shape[0]) {
      const per = w.data.length;
      const data = new Float32Array(per * shape[0]);
      for (let b = 0; b < shape[0]; b++) data.set(w.data, b * per);
      full = { data, dims: shape };
    }
    const r = restrictToRegion(full, region, inputShape);
    return { tensor: spec.tensor, weights: r.weights, description: `weighting of ${spec.tensor}${r.where}` };
  }
  const [n, c, ...spatial] = shape;
  if (shape.length < 2) throw invalidParams(`'${spec.tensor}' has shape [${shape.join(', ')}]; units need a channel axis`);
  if (!Number.isInteger(spec.channel) || spec.channel < 0 || spec.channel >= c) {
    throw invalidParams(`channel ${spec.channel} is out of range: '${spec.tensor}' has ${c} channels (0–${c - 1})`);
  }
  const plane = spatial.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n * c * plane);
  const single = spec.y !== undefined && spec.x !== undefined;
  if (single) {
    if (spatial.length !== 2) throw invalidParams(`unit:T:C:Y:X needs a 4-D tensor; '${spec.tensor}' has shape [${shape.join(', ')}]`);
    const [h, w] = spatial;
    if (spec.y! < 0 || spec.y! >= h || spec.x! < 0 || spec.x! >= w) {
      throw invalidParams(`position (${spec.y}, ${spec.x}) is outside '${spec.tensor}' (${h}×${w})`);
    }
  }
  for (let b = 0; b < n; b++) {
    const base = (b * c + spec.channel) * plane;
    if (single) data[base + spec.y! * spatial[1] + spec.x!] = 1;
    else data.fill(1, base, base + plane);
  }
  if (single && region) throw invalidParams('a single-neuron target (unit:T:C:Y:X) takes no region; use unit:T:C with the region');
  const r = restrictToRegion({ data, dims: shape }, region, inputShape);
  const where = single ? ` at (${spec.y}, ${spec.x})` : r.where;
  return { tensor: spec.tensor, weights: r.weights, description: `${spec.tensor} channel ${spec.channel}${where}` };
}

/** A run method's target for `rows` copies of one item of an N-item input (SmoothGrad's noisy samples). */
import type { TargetSpec } from '../../protocol/types';

export function itemTarget(spec: TargetSpec, item: number, items: number, rows: number): TargetSpec {
  if (spec.kind === 'class') {
    return Array.isArray(spec.index) ? { kind: 'class', index: spec.index.length === items ? spec.index[item] : spec.index[0] } : spec;
  }
  if (spec.kind !== 'weights' || spec.weights.dims[0] !== items) return spec; // one row of weights broadcasts
  const w = spec.weights;
  const per = w.data.length / items;
  const data = new Float32Array(rows * per);
  for (let r = 0; r < rows; r++) data.set(w.data.subarray(item * per, (item + 1) * per), r * per);
  return { kind: 'weights', tensor: spec.tensor, weights: { data, dims: [rows, ...w.dims.slice(1)] } };
}

/** Per-batch-item reductions shared by the explanation and reconstruction paths. */

/** Σ values ⊙ weights for each of `batch` equal slices (a target's value per item). */
export function perItemDot(values: Float32Array, weights: Float32Array, batch: number): number[] {
  const per = values.length / batch;
  const out: number[] = [];
  for (let b = 0; b < batch; b++) {
    let s = 0;
    for (let i = b * per; i < (b + 1) * per; i++) s += values[i] * weights[i];
    out.push(s);
  }
  return out;
}

/** ‖slice‖² per batch item. */
export function perItemSquaredNorm(values: Float32Array, batch: number): number[] {
  return perItemDot(values, values, batch);
}

/**
 * Image priors for reconstruction, with values and exact gradients, over NCHW tensors (all items and channels).
 *  - Lp: Σ |x|^α (the α-norm to the power α; α = 2 is L2 weight decay).
 *  - TV_β: Σ_{c,i,j} ((x_{i,j+1} − x_{i,j})² + (x_{i+1,j} − x_{i,j})² + ε)^{β/2}; a difference that would leave the image
 *    is 0 (replicated border). ε (default 1e-8) keeps the gradient finite for β < 2 where neighbours are equal.
 * The Mahendran–Vedaldi normalisation divides by the pixel count times B^α (resp. V^β), B a typical pixel magnitude
 * and V = B / 6.5 a typical neighbour difference, so weights carry across image sizes and layers.
 */

export interface RegResult {
  value: number;
  /** Gradient, added into `grad` scaled by the weight when given. */
}

/** Σ|x|^α; adds weight·∂/∂x into grad. */
export function lpNorm(x: Float32Array, alpha: number, grad?: Float32Array, weight = 1): number {
  let v = 0;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]);
    const p = a ** alpha;
    v += p;
    if (grad && a > 0) grad[i] += weight * alpha * (p / a) * Math.sign(x[i]);
  }
  return v;
}

/** Total variation TV_β over the last two axes of an (…, H, W) tensor; adds weight·∂/∂x into grad. */
export function totalVariation(x: Float32Array, dims: number[], beta: number, grad?: Float32Array, weight = 1, eps = 1e-8): number {
  const h = dims[dims.length - 2];
  const w = dims[dims.length - 1];
  const planes = x.length / (h * w);
  let v = 0;
  const half = beta / 2;
  const quadratic = beta === 2; // g^{β/2} = g and β·g^{β/2−1} = 2: no pow per pixel (the common case)
  for (let p = 0; p < planes; p++) {
    const o = p * h * w;
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const k = o + i * w + j;
        const a = j + 1 < w ? x[k + 1] - x[k] : 0;
        const b = i + 1 < h ? x[k + w] - x[k] : 0;
        const g = a * a + b * b + eps;
        const t = quadratic ? g : g ** half;
        v += t;
        if (grad) {
          const c = quadratic ? 2 * weight : weight * beta * (t / g); // d t / d a = β g^{β/2−1} a
          if (j + 1 < w) {
            grad[k + 1] += c * a;
            grad[k] -= c * a;
          }
          if (i + 1 < h) {
            grad[k + w] += c * b;
            grad[k] -= c * b;
          }
        }
      }
    }
  }
  return v;
}

export interface RegSettings {
  lpWeight: number;
  lpAlpha: number;
  tvWeight: number;
  tvBeta: number;
}

/**
 * λα·Nα(x) + λTV·N_TV(x) with per-pixel normalisation: Nα = Σ|x|^α / (P·B^α), N_TV = TV_β / (P·V^β), P = H·W per item
 * (summed over items). B = 1, V = 1 gives plain per-pixel means (activation maximisation's default).
 */
export function regularize(x: Float32Array, dims: number[], s: RegSettings, grad: Float32Array | undefined, B = 1, V = 1): number {
  const pixels = dims[dims.length - 2] * dims[dims.length - 1];
  let v = 0;
  if (s.lpWeight > 0) {
    const k = s.lpWeight / (pixels * B ** s.lpAlpha);
    v += k * lpNorm(x, s.lpAlpha, grad, k);
  }
  if (s.tvWeight > 0) {
    const k = s.tvWeight / (pixels * V ** s.tvBeta);
    v += k * totalVariation(x, dims, s.tvBeta, grad, k);
  }
  return v;
}

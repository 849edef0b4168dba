/**
 * Directional finite differences of a scalar function S(x) = Σ w ⊙ f(x), compared with ⟨∇S, v⟩ from a compiled
 * backward graph. Float32 forward passes limit the accuracy: a large step has truncation error on curved functions,
 * a small one amplifies rounding and, on piecewise-linear nets, may still cross a ReLU or max-pool kink. A correct
 * rule agrees at one of two steps; a wrong one disagrees at both, so each direction keeps the better of the two.
 */
export interface DirectionalResult {
  /** Per direction: finite difference, analytic ⟨∇S, v⟩, and their relative disagreement. */
  directions: { fd: number; analytic: number; relError: number }[];
  maxRelError: number;
  /** The median over directions: deep ReLU nets put a kink crossing into the odd direction; a wrong rule errs in all. */
  medianRelError: number;
}

export type ScalarFn = (x: Float32Array) => Promise<number>;

/** Deterministic normal samples (mulberry32 + Box–Muller), so a check is reproducible. */
export function normals(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
  return out;
}

export function rms(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(x.length, 1));
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * Compares ⟨grad, v⟩ with central differences of S along `count` random directions. Steps are relative to the
 * input's RMS (`steps`, default 1e-2 and 1e-3 of it); `floor` keeps tiny derivatives from dividing by ~0.
 */
export async function directionalCheck(S: ScalarFn, x: Float32Array, grad: Float32Array, opts: { count: number; seed: number; steps?: number[]; support?: number }): Promise<DirectionalResult> {
  const scale = rms(x) || 1;
  const steps = opts.steps ?? [1e-2, 1e-3];
  const directions: DirectionalResult['directions'] = [];
  const plus = new Float32Array(x.length);
  const minus = new Float32Array(x.length);
  for (let d = 0; d < opts.count; d++) {
    const v = direction(x.length, opts.seed + 7919 * d, opts.support);
    const analytic = dot(grad, v);
    let c2 = 0;
    for (let i = 0; i < v.length; i++) if (v[i] !== 0) c2 += (grad[i] * v[i]) ** 2;
    const contributionNorm = Math.sqrt(c2);
    let best = { fd: Number.NaN, analytic, relError: Number.POSITIVE_INFINITY };
    for (const rel of steps) {
      const h = rel * scale;
      for (let i = 0; i < x.length; i++) {
        plus[i] = x[i] + h * v[i];
        minus[i] = x[i] - h * v[i];
      }
      const fd = ((await S(plus)) - (await S(minus))) / (2 * h);
      // The scale is the L2 norm of the per-element contributions g_i v_i: the typical size of ⟨g, v⟩ over random
      // signs, so a direction whose contributions happen to cancel does not turn rounding into a large relative error.
      const denom = Math.max(Math.abs(fd), Math.abs(analytic), contributionNorm, 1e-30);
      const relError = Math.abs(fd - analytic) / denom;
      if (relError < best.relError) best = { fd, analytic, relError };
    }
    directions.push(best);
  }
  const sorted = directions.map((d) => d.relError).sort((a, b) => a - b);
  return { directions, maxRelError: sorted[sorted.length - 1], medianRelError: sorted[Math.floor(sorted.length / 2)] };
}

/**
 * A random direction: standard normal on `support` random elements (all when undefined), zero elsewhere. Sparse
 * directions move few units of a deep ReLU net across a kink, so the finite difference stays close to the
 * derivative while every output the perturbed inputs reach still contributes.
 */
export function direction(n: number, seed: number, support?: number): Float32Array {
  const v = normals(n, seed);
  if (support === undefined || support >= n) return v;
  const keep = new Float32Array(n);
  const pick = normals(support, seed + 1);
  for (let k = 0; k < support; k++) {
    const i = Math.floor(Math.abs(Math.sin(pick[k] * 1e4 + k)) * n) % n;
    keep[i] = v[i];
  }
  return keep;
}

export type VectorFn = (x: Float32Array) => Promise<Float32Array>;

/**
 * For one op alone, kinks can be excluded instead of avoided: an output whose second difference
 * y(x+hv) + y(x−hv) − 2y(x) is not small against its first difference crossed a kink (ReLU, max-pool switch,
 * clip bound) within the step, so it is dropped from the weighting, and the analytic side is recomputed with the
 * same mask. What remains is compared exactly; `excluded` reports the fraction dropped.
 */
export async function maskedDirectionalCheck(F: VectorFn, gradientOf: (w: Float32Array) => Promise<Float32Array>, x: Float32Array,
  w: Float32Array, opts: { count: number; seed: number; step: number }): Promise<DirectionalResult & { excluded: number }> {
  const h = opts.step * (rms(x) || 1);
  const y0 = await F(x);
  const floor = 1e-5 * (rms(y0) || 1);
  const directions: DirectionalResult['directions'] = [];
  let excluded = 0;
  for (let d = 0; d < opts.count; d++) {
    const v = normals(x.length, opts.seed + 7919 * d);
    const yp = await F(x.map((xi, i) => xi + h * v[i]));
    const ym = await F(x.map((xi, i) => xi - h * v[i]));
    const wm = new Float32Array(w.length);
    let fd = 0;
    let dropped = 0;
    for (let j = 0; j < w.length; j++) {
      const first = yp[j] - ym[j];
      if (Math.abs(yp[j] + ym[j] - 2 * y0[j]) > 0.05 * Math.abs(first) + floor) { dropped++; continue; }
      wm[j] = w[j];
      fd += w[j] * first;
    }
    fd /= 2 * h;
    excluded = Math.max(excluded, dropped / Math.max(w.length, 1));
    const grad = await gradientOf(wm);
    const analytic = dot(grad, v);
    let c2 = 0;
    for (let i = 0; i < v.length; i++) c2 += (grad[i] * v[i]) ** 2;
    const relError = Math.abs(fd - analytic) / Math.max(Math.abs(fd), Math.abs(analytic), Math.sqrt(c2), 1e-30);
    directions.push({ fd, analytic, relError });
  }
  const sorted = directions.map((dd) => dd.relError).sort((a, b) => a - b);
  return { directions, maxRelError: sorted[sorted.length - 1], medianRelError: sorted[Math.floor(sorted.length / 2)], excluded };
}

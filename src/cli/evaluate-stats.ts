/**
 * Summary statistics for `featurevis evaluate --merge`: mean, sample standard deviation and the two-sided 95 %
 * Student-t confidence interval of the mean. The t quantile inverts the t CDF, which is the regularized incomplete
 * beta function (Numerical Recipes' continued fraction, Lentz's method), so no table is needed.
 */

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; ~1e-15 relative). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The continued fraction of I_x(a, b), convergent for x < (a + 1) / (a + b + 2). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = Math.abs(d) < tiny ? tiny : d;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    for (const num of [(m * (b - m) * x) / ((a + m2 - 1) * (a + m2)), (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1))]) {
      d = 1 + num * d;
      d = Math.abs(d) < tiny ? tiny : d;
      c = 1 + num / c;
      c = Math.abs(c) < tiny ? tiny : c;
      d = 1 / d;
      h *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-16) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(a, b, x)) / a : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function tCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with `df` > 0 degrees of freedom (bisection on the CDF, to float precision). */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) return Number.NaN;
  if (p === 0.5) return 0;
  if (p < 0.5) return -tQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (tCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (tCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

export interface Summary {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1); NaN for n < 2. */
  std: number;
  /** The 95 % confidence interval of the mean (t with n − 1 degrees of freedom); NaN ends for n < 2. */
  ciLow: number;
  ciHigh: number;
  min: number;
  max: number;
}

export function summarise(values: readonly number[], level = 0.95): Summary {
  const n = values.length;
  if (n === 0) return { n, mean: NaN, std: NaN, ciLow: NaN, ciHigh: NaN, min: NaN, max: NaN };
  // Two-pass mean and variance (no cancellation for values far from 0).
  const mean = values.reduce((a, v) => a + v, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : NaN;
  const half = n > 1 ? tQuantile(0.5 + level / 2, n - 1) * (std / Math.sqrt(n)) : NaN;
  return { n, mean, std, ciLow: mean - half, ciHigh: mean + half, min: values.reduce((a, v) => Math.min(a, v), Infinity), max: values.reduce((a, v) => Math.max(a, v), -Infinity) };
}

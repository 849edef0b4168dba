/** Similarity of two maps for the randomisation test: Spearman rank correlation and SSIM (scikit-image's definition). */

/** Ranks 1 … n, ties given their average rank (scipy.stats.rankdata's 'average'). */
export function ranks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a] - v[b] || a - b);
  const r = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && v[order[j + 1]] === v[order[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[order[k]] = avg;
    i = j + 1;
  }
  return r;
}

/** Pearson correlation (NaN when either side is constant). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i]; mb += b[i]; }
  ma /= n; mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma, db = b[i] - mb;
    sab += da * db; saa += da * da; sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Spearman's ρ: the Pearson correlation of the ranks (scipy.stats.spearmanr). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(ranks(a), ranks(b));
}

/** A plane scaled to [0, 1] by its minimum and maximum (all zero when constant). */
export function minMax(v: Float64Array): Float64Array {
  let lo = Infinity, hi = -Infinity;
  for (const x of v) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
  const span = hi - lo;
  return v.map((x) => (span > 0 ? (x - lo) / span : 0));
}

/**
 * Mean SSIM of two (h, w) planes as skimage.metrics.structural_similarity computes it with its defaults: a uniform
 * win × win window (7, or the largest odd size that fits), K1 = 0.01, K2 = 0.03, sample covariances, the mean over
 * the windows that lie inside the plane (skimage crops the border of half a window).
 */
export function ssim(a: Float64Array, b: Float64Array, h: number, w: number, dataRange: number, win = 7): number {
  const size = Math.min(win, (Math.min(h, w) % 2 === 1 ? Math.min(h, w) : Math.min(h, w) - 1));
  const np = size * size;
  const cov = np / (np - 1);
  const c1 = (0.01 * dataRange) ** 2, c2 = (0.03 * dataRange) ** 2;
  const r = (size - 1) / 2;
  let total = 0, count = 0;
  for (let y = r; y < h - r; y++) {
    for (let x = r; x < w - r; x++) {
      let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
      for (let dy = -r; dy <= r; dy++) {
        const row = (y + dy) * w;
        for (let dx = -r; dx <= r; dx++) {
          const va = a[row + x + dx], vb = b[row + x + dx];
          sa += va; sb += vb; saa += va * va; sbb += vb * vb; sab += va * vb;
        }
      }
      const ux = sa / np, uy = sb / np;
      const vx = cov * (saa / np - ux * ux), vy = cov * (sbb / np - uy * uy), vxy = cov * (sab / np - ux * uy);
      total += ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
      count++;
    }
  }
  return total / count;
}

/**
 * Mixed-radix complex FFT (any length: recursive Cooley–Tukey on the smallest prime factor, a direct DFT for prime
 * lengths) and a unitary 2-D transform over (H, W) planes. Written for image parameterisation sizes (≤ 512).
 */

function smallestFactor(n: number): number {
  for (let p = 2; p * p <= n; p++) if (n % p === 0) return p;
  return n;
}

/** cos(2πm/n) and sin(2πm/n) for m < n, computed once per length (the transforms run every optimisation step). */
const TWIDDLES = new Map<number, { cos: Float64Array; sin: Float64Array }>();
function twiddles(n: number): { cos: Float64Array; sin: Float64Array } {
  let t = TWIDDLES.get(n);
  if (!t) {
    t = { cos: new Float64Array(n), sin: new Float64Array(n) };
    for (let m = 0; m < n; m++) {
      t.cos[m] = Math.cos((2 * Math.PI * m) / n);
      t.sin[m] = Math.sin((2 * Math.PI * m) / n);
    }
    TWIDDLES.set(n, t);
  }
  return t;
}

/** Scratch buffers per recursion depth, reused across calls (the transforms run every optimisation step). */
const SCRATCH: { re: Float64Array; im: Float64Array }[] = [];
function scratch(depth: number, n: number): { re: Float64Array; im: Float64Array } {
  let s = SCRATCH[depth];
  if (!s || s.re.length < n) {
    s = { re: new Float64Array(n), im: new Float64Array(n) };
    SCRATCH[depth] = s;
  }
  return s;
}

/**
 * Out of place, decimation in time: (or, oi)[o + k], k < n = Σ_j x[off + j·stride] e^{∓2πi kj/n}. Twiddles come from
 * the table of the top-level length N (w_n^q = w_N^{q·N/n}); no allocation after the first call at a size.
 */
function fftRec(re: Float64Array, im: Float64Array, off: number, stride: number, n: number, or: Float64Array, oi: Float64Array, o: number,
  tw: { cos: Float64Array; sin: Float64Array }, N: number, sign: number, depth: number): void {
  if (n === 1) {
    or[o] = re[off];
    oi[o] = im[off];
    return;
  }
  const p = smallestFactor(n);
  const step = N / n;
  if (p === n) {
    for (let k = 0; k < n; k++) {
      let sr = 0;
      let si = 0;
      for (let j = 0; j < n; j++) {
        const q = ((k * j) % n) * step;
        const c = tw.cos[q];
        const s = sign * tw.sin[q];
        const xr = re[off + j * stride];
        const xi = im[off + j * stride];
        sr += xr * c - xi * s;
        si += xr * s + xi * c;
      }
      or[o + k] = sr;
      oi[o + k] = si;
    }
    return;
  }
  const m = n / p;
  for (let r = 0; r < p; r++) fftRec(re, im, off + r * stride, stride * p, m, or, oi, o + r * m, tw, N, sign, depth + 1);
  const t = scratch(depth, n);
  if (p === 2) {
    for (let k = 0; k < m; k++) {
      const q = k * step;
      const c = tw.cos[q];
      const s = sign * tw.sin[q];
      const ar = or[o + k];
      const ai = oi[o + k];
      const br = or[o + m + k] * c - oi[o + m + k] * s;
      const bi = or[o + m + k] * s + oi[o + m + k] * c;
      t.re[k] = ar + br;
      t.im[k] = ai + bi;
      t.re[k + m] = ar - br;
      t.im[k + m] = ai - bi;
    }
  } else {
    for (let k = 0; k < n; k++) {
      let sr = 0;
      let si = 0;
      const km = k % m;
      for (let r = 0; r < p; r++) {
        const q = ((r * k) % n) * step;
        const c = tw.cos[q];
        const s = sign * tw.sin[q];
        const xr = or[o + r * m + km];
        const xi = oi[o + r * m + km];
        sr += xr * c - xi * s;
        si += xr * s + xi * c;
      }
      t.re[k] = sr;
      t.im[k] = si;
    }
  }
  for (let k = 0; k < n; k++) {
    or[o + k] = t.re[k];
    oi[o + k] = t.im[k];
  }
}

const OUT = { re: new Float64Array(0), im: new Float64Array(0) };

/** In place: (re, im)[k] = Σ_n x[n] e^{∓2πi kn/N} (sign −1 forward, +1 inverse); unnormalised. */
export function fft1(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const n = re.length;
  if (n <= 1) return;
  if (OUT.re.length < n) {
    OUT.re = new Float64Array(n);
    OUT.im = new Float64Array(n);
  }
  fftRec(re, im, 0, 1, n, OUT.re, OUT.im, 0, twiddles(n), n, inverse ? 1 : -1, 0);
  re.set(OUT.re.subarray(0, n));
  im.set(OUT.im.subarray(0, n));
}

/** Unitary 2-D DFT of one H×W complex plane, in place (forward: e^{−iθ}, inverse: e^{+iθ}; both scaled 1/√(HW)). */
export function fft2(re: Float64Array, im: Float64Array, h: number, w: number, inverse: boolean): void {
  const rr = new Float64Array(w);
  const ri = new Float64Array(w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      rr[x] = re[y * w + x];
      ri[x] = im[y * w + x];
    }
    fft1(rr, ri, inverse);
    re.set(rr, y * w);
    im.set(ri, y * w);
  }
  const cr = new Float64Array(h);
  const ci = new Float64Array(h);
  const scale = 1 / Math.sqrt(h * w);
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) {
      cr[y] = re[y * w + x];
      ci[y] = im[y * w + x];
    }
    fft1(cr, ci, inverse);
    for (let y = 0; y < h; y++) {
      re[y * w + x] = cr[y] * scale;
      im[y * w + x] = ci[y] * scale;
    }
  }
}

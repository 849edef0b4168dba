/**
 * Mixed-radix complex FFT (any length: recursive Cooley–Tukey on the smallest prime factor, a direct DFT for prime
 * lengths) and a unitary 2-D transform over (H, W) planes. Written for image parameterisation sizes (≤ 512).
 */

function smallestFactor(n: number): number {
  for (let p = 2; p * p <= n; p++) if (n % p === 0) return p;
  return n;
}

/** In place: (re, im)[k] = Σ_n x[n] e^{∓2πi kn/N} (sign −1 forward, +1 inverse); unnormalised. */
export function fft1(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const n = re.length;
  if (n <= 1) return;
  const p = smallestFactor(n);
  const sign = inverse ? 1 : -1;
  if (p === n) {
    const or = new Float64Array(n);
    const oi = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      let sr = 0;
      let si = 0;
      for (let j = 0; j < n; j++) {
        const a = (sign * 2 * Math.PI * ((k * j) % n)) / n;
        const c = Math.cos(a);
        const s = Math.sin(a);
        sr += re[j] * c - im[j] * s;
        si += re[j] * s + im[j] * c;
      }
      or[k] = sr;
      oi[k] = si;
    }
    re.set(or);
    im.set(oi);
    return;
  }
  const m = n / p;
  const subs: [Float64Array, Float64Array][] = [];
  for (let r = 0; r < p; r++) {
    const sr = new Float64Array(m);
    const si = new Float64Array(m);
    for (let j = 0; j < m; j++) {
      sr[j] = re[j * p + r];
      si[j] = im[j * p + r];
    }
    fft1(sr, si, inverse);
    subs.push([sr, si]);
  }
  for (let k = 0; k < n; k++) {
    let sr = 0;
    let si = 0;
    const km = k % m;
    for (let r = 0; r < p; r++) {
      const a = (sign * 2 * Math.PI * ((r * k) % n)) / n;
      const c = Math.cos(a);
      const s = Math.sin(a);
      const [xr, xi] = subs[r];
      sr += xr[km] * c - xi[km] * s;
      si += xr[km] * s + xi[km] * c;
    }
    re[k] = sr;
    im[k] = si;
  }
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

/**
 * Image parameterisations for reconstruction: the optimiser moves a parameter vector p; the model sees x = image(p)
 * in model-input units (NCHW, normalised like the model's input). Each maps p → x and pulls ∂L/∂x back to ∂L/∂p.
 *
 *  - pixel: x = p (classic Simonyan/Mahendran–Vedaldi optimisation in input space).
 *  - aids (Fourier and/or decorrelated colour), the "readable image" recipe for modern nets:
 *      y = fourier ? Re(IDFT₂(s ⊙ (a + i·b))) : p            (per item and channel; unitary 2-D DFT)
 *      rgb = sigmoid(decorrelate ? M·y : y)                   (per pixel, 3 colour channels, values in (0, 1))
 *      x = (rgb − mean) / std                                 (the model's normalisation; BGR/grey handled)
 *    s is a 1/f amplitude scale, s(k, l) = 1 / max(f, 1/max(H, W)) with f = √(f_y² + f_x²) in cycles per pixel,
 *    normalised so mean(s²) = 1 (unit-variance parameters give unit-variance pixels). Using the full complex
 *    spectrum and keeping the real part over-parameterises the image by 2×, which gradient descent does not mind;
 *    its adjoint is exact: ∂L/∂a = s·Re(DFT₂(g)), ∂L/∂b = s·Im(DFT₂(g)).
 *    M is a square root of ImageNet's RGB pixel covariance, V·diag(√λ) with the eigenpairs published with AlexNet's
 *    PCA colour augmentation (Krizhevsky et al. 2012: λ = 0.2175, 0.0188, 0.0045), scaled so its largest column
 *    has unit norm: independent unit-variance y then give pixels with natural-image colour correlations.
 */
import type { Preprocessing } from '../preprocess';
import { fft2 } from './fft';
import type { Rng } from './rng';

const EIG_VEC = [
  [-0.5675, 0.7192, 0.4009],
  [-0.5808, -0.0045, -0.814],
  [-0.5836, -0.6948, 0.4203],
];
const EIG_VAL = [0.2175, 0.0188, 0.0045];

/** The colour decorrelation matrix M (rows: R, G, B; columns: decorrelated components). */
export const COLOR_SQRT: number[][] = (() => {
  const m = EIG_VEC.map((row) => row.map((v, j) => v * Math.sqrt(EIG_VAL[j])));
  let maxNorm = 0;
  for (let j = 0; j < 3; j++) maxNorm = Math.max(maxNorm, Math.hypot(m[0][j], m[1][j], m[2][j]));
  return m.map((row) => row.map((v) => v / maxNorm));
})();

/** The 1/f amplitude scale s over an H×W spectrum, normalised so mean(s²) = 1. */
export function spectrumScale(h: number, w: number): Float64Array {
  const plane = h * w;
  const s = new Float64Array(plane);
  let sum = 0;
  for (let y = 0; y < h; y++) {
    const fy = Math.min(y, h - y) / h;
    for (let x = 0; x < w; x++) {
      const fx = Math.min(x, w - x) / w;
      const v = 1 / Math.max(Math.hypot(fy, fx), 1 / Math.max(h, w));
      s[y * w + x] = v;
      sum += v * v;
    }
  }
  const k = Math.sqrt(plane / sum);
  for (let i = 0; i < plane; i++) s[i] *= k;
  return s;
}

export interface ImageParam {
  readonly params: Float32Array;
  /** Current x (model-input units). */
  image(): Float32Array;
  /** ∂L/∂x (for the x last returned by image()) → ∂L/∂p. */
  backward(gx: Float32Array): Float32Array;
  /** Project after a step (pixel: clip to the valid pixel box). */
  project(): void;
}

export interface ParamOptions {
  dims: number[];
  pre: Preprocessing;
  fourier: boolean;
  decorrelate: boolean;
  rng: Rng;
  /** Std of the initial noise. */
  initStd: number;
  /** Pixel box for the pixel parameterisation, per channel (model-input units). */
  bounds?: { low: number[]; high: number[] };
  init?: Float32Array;
}

export function makeParam(o: ParamOptions): ImageParam {
  if (!o.fourier && !o.decorrelate) return new PixelParam(o);
  return new AidedParam(o);
}

class PixelParam implements ImageParam {
  readonly params: Float32Array;
  constructor(private readonly o: ParamOptions) {
    const [n, c, h, w] = o.dims;
    const plane = h * w;
    this.params = new Float32Array(n * c * plane);
    if (o.init) this.params.set(o.init);
    else {
      for (let b = 0; b < n; b++) {
        for (let ch = 0; ch < c; ch++) {
          const grey = (0.5 - o.pre.mean[ch]) / o.pre.std[ch];
          const base = (b * c + ch) * plane;
          for (let i = 0; i < plane; i++) this.params[base + i] = grey + o.initStd * o.rng.normal();
        }
      }
    }
  }
  image(): Float32Array {
    return this.params;
  }
  backward(gx: Float32Array): Float32Array {
    return gx;
  }
  project(): void {
    const b = this.o.bounds;
    if (!b) return;
    const [n, c, h, w] = this.o.dims;
    const plane = h * w;
    for (let i = 0; i < n * c; i++) {
      const ch = i % c;
      const lo = b.low[ch] ?? b.low[0];
      const hi = b.high[ch] ?? b.high[0];
      for (let k = i * plane; k < (i + 1) * plane; k++) this.params[k] = Math.min(hi, Math.max(lo, this.params[k]));
    }
  }
}

class AidedParam implements ImageParam {
  readonly params: Float32Array;
  private readonly scale?: Float64Array;
  private rgb = new Float32Array(0);
  private readonly x: Float32Array;
  constructor(private readonly o: ParamOptions) {
    const [n, c, h, w] = o.dims;
    const plane = h * w;
    const spatial = n * c * plane;
    this.params = new Float32Array(o.fourier ? 2 * spatial : spatial);
    for (let i = 0; i < this.params.length; i++) this.params[i] = o.initStd * o.rng.normal();
    this.x = new Float32Array(spatial);
    if (o.fourier) this.scale = spectrumScale(h, w);
  }

  /** y: spatial pre-activation (before colour mixing and sigmoid). */
  private spatial(): Float32Array {
    if (!this.o.fourier) return this.params;
    const [n, c, h, w] = this.o.dims;
    const plane = h * w;
    const total = n * c * plane;
    const y = new Float32Array(total);
    const re = new Float64Array(plane);
    const im = new Float64Array(plane);
    for (let q = 0; q < n * c; q++) {
      for (let i = 0; i < plane; i++) {
        re[i] = this.scale![i] * this.params[q * plane + i];
        im[i] = this.scale![i] * this.params[total + q * plane + i];
      }
      fft2(re, im, h, w, true);
      for (let i = 0; i < plane; i++) y[q * plane + i] = re[i];
    }
    return y;
  }

  image(): Float32Array {
    const [n, c, h, w] = this.o.dims;
    const plane = h * w;
    const y = this.spatial();
    const { pre } = this.o;
    this.rgb = new Float32Array(y.length);
    const mix = this.o.decorrelate && c === 3;
    for (let b = 0; b < n; b++) {
      const base = b * c * plane;
      for (let i = 0; i < plane; i++) {
        for (let ch = 0; ch < c; ch++) {
          let v = y[base + ch * plane + i];
          if (mix) v = COLOR_SQRT[ch][0] * y[base + i] + COLOR_SQRT[ch][1] * y[base + plane + i] + COLOR_SQRT[ch][2] * y[base + 2 * plane + i];
          this.rgb[base + ch * plane + i] = 1 / (1 + Math.exp(-v));
        }
        // rgb is in the model's channel order already (channel ch of the model input).
        for (let ch = 0; ch < c; ch++) this.x[base + ch * plane + i] = (this.rgb[base + ch * plane + i] - pre.mean[ch]) / pre.std[ch];
      }
    }
    return this.x;
  }

  backward(gx: Float32Array): Float32Array {
    const [n, c, h, w] = this.o.dims;
    const plane = h * w;
    const { pre } = this.o;
    const gy = new Float32Array(gx.length);
    const mix = this.o.decorrelate && c === 3;
    for (let b = 0; b < n; b++) {
      const base = b * c * plane;
      for (let i = 0; i < plane; i++) {
        const gz = [0, 0, 0];
        for (let ch = 0; ch < c; ch++) {
          const r = this.rgb[base + ch * plane + i];
          gz[ch] = (gx[base + ch * plane + i] / pre.std[ch]) * r * (1 - r);
        }
        if (mix) {
          for (let k = 0; k < 3; k++) gy[base + k * plane + i] = COLOR_SQRT[0][k] * gz[0] + COLOR_SQRT[1][k] * gz[1] + COLOR_SQRT[2][k] * gz[2];
        } else for (let ch = 0; ch < c; ch++) gy[base + ch * plane + i] = gz[ch];
      }
    }
    if (!this.o.fourier) return gy;
    const total = n * c * plane;
    const gp = new Float32Array(2 * total);
    const re = new Float64Array(plane);
    const im = new Float64Array(plane);
    for (let q = 0; q < n * c; q++) {
      for (let i = 0; i < plane; i++) {
        re[i] = gy[q * plane + i];
        im[i] = 0;
      }
      fft2(re, im, h, w, false);
      for (let i = 0; i < plane; i++) {
        gp[q * plane + i] = this.scale![i] * re[i];
        gp[total + q * plane + i] = this.scale![i] * im[i];
      }
    }
    return gp;
  }

  project(): void {}
}

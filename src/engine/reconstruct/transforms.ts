/**
 * Random geometric transforms applied to the image before each model run (transformation robustness), with exact
 * adjoints for the gradient. One affine map per step combines rotation θ, scale s and translation (ty, tx) about the
 * image centre; the transformed image samples the source bilinearly at A⁻¹(p) with edge clamping:
 *   out[p] = Σ_q w_pq x[q]   ⇒   adjoint: gx[q] += Σ_p w_pq g[p]   (the same weights, scattered).
 * Jitter is a translation inside the same map, so its adjoint is the inverse translation (up to the border).
 */
import type { Rng } from './rng';

export interface Affine {
  /** Source coordinates of output pixel (y, x): ys = a·(y−cy) + b·(x−cx) + cy − ty, xs = c·(y−cy) + d·(x−cx) + cx − tx. */
  a: number; b: number; c: number; d: number; ty: number; tx: number;
}

export const IDENTITY: Affine = { a: 1, b: 0, c: 0, d: 1, ty: 0, tx: 0 };

export interface TransformSettings {
  jitter: number;
  scale: [number, number];
  rotateDeg: number;
}

/** Lucid-like defaults scaled to the image: jitter 8 px at 128 px, scale 0.9–1.1, rotate ±10°. */
export function defaultTransforms(size: number): TransformSettings {
  return { jitter: Math.max(1, Math.round((8 * size) / 128)), scale: [0.9, 1.1], rotateDeg: 10 };
}

export function randomAffine(t: TransformSettings, rng: Rng): Affine {
  const th = (rng.uniform(-t.rotateDeg, t.rotateDeg) * Math.PI) / 180;
  const s = rng.uniform(t.scale[0], t.scale[1]);
  // The inverse map: rotate by −θ and scale by 1/s.
  const cos = Math.cos(th) / s;
  const sin = Math.sin(th) / s;
  return { a: cos, b: sin, c: -sin, d: cos, ty: rng.int(-t.jitter, t.jitter), tx: rng.int(-t.jitter, t.jitter) };
}

function forEachSample(h: number, w: number, m: Affine, fn: (p: number, q: number, wt: number) => void): void {
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let ys = m.a * (y - cy) + m.b * (x - cx) + cy - m.ty;
      let xs = m.c * (y - cy) + m.d * (x - cx) + cx - m.tx;
      ys = Math.min(h - 1, Math.max(0, ys));
      xs = Math.min(w - 1, Math.max(0, xs));
      const y0 = Math.floor(ys);
      const x0 = Math.floor(xs);
      const y1 = Math.min(h - 1, y0 + 1);
      const x1 = Math.min(w - 1, x0 + 1);
      const fy = ys - y0;
      const fx = xs - x0;
      const p = y * w + x;
      fn(p, y0 * w + x0, (1 - fy) * (1 - fx));
      if (fx > 0) fn(p, y0 * w + x1, (1 - fy) * fx);
      if (fy > 0) fn(p, y1 * w + x0, fy * (1 - fx));
      if (fx > 0 && fy > 0) fn(p, y1 * w + x1, fy * fx);
    }
  }
}

/**
 * The same bilinear samples as fixed taps, for the resampling inside a compiled graph: per item and output pixel p,
 * four source pixels (flat index into the H·W plane, `index` [N, 1, 4·H·W]) and their weights (`weight`
 * [N, 1, H·W, 4]); a tap applyAffine skips (fx or fy = 0) has weight 0, so out[p] = Σ weight·x[index] is applyAffine's.
 */
export function sampleTaps(dims: number[], maps: Affine[]): { index: Int32Array; weight: Float32Array } {
  const [n, , h, w] = dims;
  const plane = h * w;
  const index = new Int32Array(n * 4 * plane);
  const weight = new Float32Array(n * 4 * plane);
  for (let b = 0; b < n; b++) {
    let k = b * 4 * plane;
    let last = -1;
    forEachSample(h, w, maps[b], (p, q, wt) => {
      if (p !== last) {
        // A new output pixel: its four slots start at 4p (unused ones stay index p's first tap, weight 0).
        k = (b * plane + p) * 4;
        index.fill(q, k, k + 4);
        last = p;
      }
      index[k] = q;
      weight[k++] = wt;
    });
  }
  return { index, weight };
}

/** Applies one affine per batch item (all channels) to an NCHW tensor. */
export function applyAffine(x: Float32Array, dims: number[], maps: Affine[]): Float32Array {
  const [n, c, h, w] = dims;
  const plane = h * w;
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const o = (b * c + ch) * plane;
      forEachSample(h, w, maps[b], (p, q, wt) => {
        out[o + p] += wt * x[o + q];
      });
    }
  }
  return out;
}

/** The adjoint of applyAffine: pulls a gradient on the transformed image back to the source image. */
export function applyAffineAdjoint(g: Float32Array, dims: number[], maps: Affine[]): Float32Array {
  const [n, c, h, w] = dims;
  const plane = h * w;
  const out = new Float32Array(g.length);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const o = (b * c + ch) * plane;
      forEachSample(h, w, maps[b], (p, q, wt) => {
        out[o + q] += wt * g[o + p];
      });
    }
  }
  return out;
}

/**
 * Bilinear resizing of one plane (row-major h×w → H×W), in float64 weights: `half-pixel` centres with clamped edges
 * as torch's interpolate(align_corners=False) and ONNX Resize half_pixel, or `align-corners` as torch's
 * UpsamplingBilinear2d (pytorch-grad-cam's Score-CAM masks).
 */
export type Corners = 'half-pixel' | 'align-corners';

/** Per output index: the two source indices and the weight of the second. */
export function axisTable(from: number, to: number, corners: Corners): { i0: Int32Array; i1: Int32Array; f: Float64Array } {
  const i0 = new Int32Array(to), i1 = new Int32Array(to), f = new Float64Array(to);
  for (let o = 0; o < to; o++) {
    let src = corners === 'align-corners' ? (to > 1 ? (o * (from - 1)) / (to - 1) : 0) : ((o + 0.5) * from) / to - 0.5;
    src = Math.min(Math.max(src, 0), from - 1);
    const lo = Math.floor(src);
    i0[o] = lo;
    i1[o] = Math.min(lo + 1, from - 1);
    f[o] = src - lo;
  }
  return { i0, i1, f };
}

export function resizePlane(src: ArrayLike<number>, h: number, w: number, H: number, W: number, corners: Corners, out = new Float32Array(H * W)): Float32Array {
  const ty = axisTable(h, H, corners);
  const tx = axisTable(w, W, corners);
  for (let y = 0; y < H; y++) {
    const r0 = ty.i0[y] * w, r1 = ty.i1[y] * w, fy = ty.f[y];
    for (let x = 0; x < W; x++) {
      const a = src[r0 + tx.i0[x]], b = src[r0 + tx.i1[x]], c = src[r1 + tx.i0[x]], d = src[r1 + tx.i1[x]];
      const fx = tx.f[x];
      out[y * W + x] = (1 - fy) * ((1 - fx) * a + fx * b) + fy * ((1 - fx) * c + fx * d);
    }
  }
  return out;
}

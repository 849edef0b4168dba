/**
 * Separable resampling with a triangle (bilinear) filter whose support widens when shrinking, so downscaled photos
 * are antialiased the way PIL's BILINEAR filter does it.
 */

/** Resamples one axis of a float image [h][w][c] (row-major, c channels). */
function resampleAxis(src: Float32Array, w: number, h: number, c: number, outLen: number, horizontal: boolean): Float32Array {
  const inLen = horizontal ? w : h;
  const scale = inLen / outLen;
  const support = Math.max(scale, 1);
  const outW = horizontal ? outLen : w;
  const outH = horizontal ? h : outLen;
  const out = new Float32Array(outW * outH * c);
  for (let o = 0; o < outLen; o++) {
    const center = (o + 0.5) * scale;
    const lo = Math.max(0, Math.floor(center - support));
    const hi = Math.min(inLen, Math.ceil(center + support));
    const weights: number[] = [];
    let total = 0;
    for (let i = lo; i < hi; i++) {
      const wgt = Math.max(0, 1 - Math.abs((i + 0.5 - center) / support));
      weights.push(wgt);
      total += wgt;
    }
    for (let k = 0; k < weights.length; k++) weights[k] /= total || 1;
    const lines = horizontal ? h : w;
    for (let line = 0; line < lines; line++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let k = 0; k < weights.length; k++) {
          const i = lo + k;
          const idx = horizontal ? (line * w + i) * c + ch : (i * w + line) * c + ch;
          acc += src[idx] * weights[k];
        }
        const dst = horizontal ? (line * outW + o) * c + ch : (o * outW + line) * c + ch;
        out[dst] = acc;
      }
    }
  }
  return out;
}

export function resizeFloat(src: Float32Array, w: number, h: number, c: number, outW: number, outH: number): Float32Array {
  let img = src;
  if (outW !== w) img = resampleAxis(img, w, h, c, outW, true);
  if (outH !== h) img = resampleAxis(img, outW, h, c, outH, false);
  return img;
}

/** An RGBA image resampled (antialiased when shrinking), opaque. */
export function resizeRgba(img: { width: number; height: number; data: Uint8Array | Uint8ClampedArray }, outW: number, outH: number): { width: number; height: number; data: Uint8Array } {
  const rgb = new Float32Array(img.width * img.height * 3);
  for (let i = 0; i < img.width * img.height; i++) for (let k = 0; k < 3; k++) rgb[3 * i + k] = img.data[4 * i + k];
  const r = resizeFloat(rgb, img.width, img.height, 3, outW, outH);
  const data = new Uint8Array(outW * outH * 4);
  for (let i = 0; i < outW * outH; i++) {
    for (let k = 0; k < 3; k++) data[4 * i + k] = Math.max(0, Math.min(255, Math.round(r[3 * i + k])));
    data[4 * i + 3] = 255;
  }
  return { width: outW, height: outH, data };
}

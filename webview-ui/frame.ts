/**
 * Geometry between the photo the panel shows (the original image, capped) and the model's input: the InputFrame
 * (where the input lies in the photo) maps boxes and points both ways. Pure (unit-tested in node).
 */
import type { RgbaPixels } from '../src/protocol/messages';
import type { InputFrame } from '../src/protocol/render';
import type { Region, TensorData } from '../src/protocol/types';

export interface Size { width: number; height: number }

/** A photo point (pixels, x right, y down) → the input's [row, col] edge coordinates, clamped into the input. */
export function photoToInput(f: InputFrame, input: Size, x: number, y: number): [number, number] {
  const col = ((x - f.x0) * input.width) / (f.x1 - f.x0);
  const row = ((y - f.y0) * input.height) / (f.y1 - f.y0);
  return [Math.max(0, Math.min(input.height, Math.round(row))), Math.max(0, Math.min(input.width, Math.round(col)))];
}

/** A region (input pixels, exclusive ends) as a rectangle in photo pixels. */
export function regionToPhoto(r: Region, f: InputFrame, input: Size): { x: number; y: number; w: number; h: number } {
  const sx = (f.x1 - f.x0) / input.width, sy = (f.y1 - f.y0) / input.height;
  return { x: f.x0 + r.x0 * sx, y: f.y0 + r.y0 * sy, w: (r.x1 - r.x0) * sx, h: (r.y1 - r.y0) * sy };
}

/** The photo with its longest side at most `max` (box average over the source pixels each output pixel covers). */
export function downscale(p: RgbaPixels, max: number): RgbaPixels {
  const s = Math.min(1, max / Math.max(p.width, p.height));
  if (s === 1) return p;
  const width = Math.max(1, Math.round(p.width * s)), height = Math.max(1, Math.round(p.height * s));
  const data = new Uint8Array(4 * width * height);
  for (let y = 0; y < height; y++) {
    const ya = Math.floor((y * p.height) / height), yb = Math.max(ya + 1, Math.floor(((y + 1) * p.height) / height));
    for (let x = 0; x < width; x++) {
      const xa = Math.floor((x * p.width) / width), xb = Math.max(xa + 1, Math.floor(((x + 1) * p.width) / width));
      const acc = [0, 0, 0, 0];
      for (let sy = ya; sy < yb; sy++) for (let sx = xa; sx < xb; sx++) for (let c = 0; c < 4; c++) acc[c] += p.data[4 * (sy * p.width + sx) + c];
      const n = (yb - ya) * (xb - xa);
      for (let c = 0; c < 4; c++) data[4 * (y * width + x) + c] = Math.round(acc[c] / n);
    }
  }
  return { width, height, data };
}

/**
 * Relevance as (N, C, H, W): a flat map with the input's pixel count becomes (1, 1, H, W) and (N, H, W) gains a
 * channel axis; anything else is left as it is.
 */
export function asNCHW(rel: TensorData, input: Size): TensorData {
  if (rel.dims.length === 4) return rel;
  if (rel.dims.length === 3) return { data: rel.data, dims: [rel.dims[0], 1, rel.dims[1], rel.dims[2]] };
  if (rel.data.length === input.width * input.height) return { data: rel.data, dims: [1, 1, input.height, input.width] };
  return rel;
}

/** Puts paint.ts's pixels on canvases (the DOM part of painting). */
import type { RgbaPixels } from '../src/protocol/messages';
import type { Rgba } from './paint';

type Pixels = Rgba | RgbaPixels | { width: number; height: number; data: Uint8Array | Uint8ClampedArray };

const imageData = (p: Pixels): ImageData => new ImageData(new Uint8ClampedArray(p.data), p.width, p.height);

/** A canvas holding `p` at its own resolution, to be drawn scaled onto another. */
export function offscreen(p: Pixels): HTMLCanvasElement {
  const off = document.createElement('canvas');
  off.width = p.width;
  off.height = p.height;
  off.getContext('2d')!.putImageData(imageData(p), 0, 0);
  return off;
}

/** Draws `p` into the canvas box (x, y, w, h) (the whole canvas by default), at `alpha`; `smooth` false keeps cells visible. */
export function drawScaled(canvas: HTMLCanvasElement, p: Pixels, alpha = 1, smooth = true, box?: { x: number; y: number; w: number; h: number }): void {
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.save();
  ctx.globalAlpha = alpha;
  ctx.imageSmoothingEnabled = smooth;
  const b = box ?? { x: 0, y: 0, w: canvas.width, h: canvas.height };
  ctx.drawImage(offscreen(p), b.x, b.y, b.w, b.h);
  ctx.restore();
}

export function drawPixels(canvas: HTMLCanvasElement, p: Pixels): void {
  canvas.getContext('2d', { willReadFrequently: true })!.putImageData(imageData(p), 0, 0);
}

/** A box outline (white dashes over black, visible on any image); `lw` is the line width in canvas pixels. */
export function drawBox(ctx: CanvasRenderingContext2D, r: { x: number; y: number; w: number; h: number }, lw: number): void {
  ctx.save();
  ctx.lineWidth = lw * 2;
  ctx.strokeStyle = 'rgba(0,0,0,0.8)';
  ctx.strokeRect(r.x, r.y, r.w, r.h);
  ctx.lineWidth = lw;
  ctx.setLineDash([4 * lw, 3 * lw]);
  ctx.strokeStyle = '#fff';
  ctx.strokeRect(r.x, r.y, r.w, r.h);
  ctx.restore();
}

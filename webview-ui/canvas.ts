/** Puts paint.ts's pixels on canvases (the only DOM part of painting). */
import type { RgbaPixels } from '../src/protocol/messages';
import type { Painting, Rgba } from './paint';

const imageData = (p: Rgba | RgbaPixels): ImageData => new ImageData(new Uint8ClampedArray(p.data), p.width, p.height);

/** A canvas holding `p` at its own resolution, to be drawn scaled onto another. */
function offscreen(p: Rgba): HTMLCanvasElement {
  const off = document.createElement('canvas');
  off.width = p.width;
  off.height = p.height;
  off.getContext('2d')!.putImageData(imageData(p), 0, 0);
  return off;
}

/** Draws `p` scaled over what `canvas` shows, at `alpha`; `smooth` false keeps cells visible (nearest neighbour). */
export function drawScaled(canvas: HTMLCanvasElement, p: Rgba, alpha = 1, smooth = true): void {
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.save();
  ctx.globalAlpha = alpha;
  ctx.imageSmoothingEnabled = smooth;
  ctx.drawImage(offscreen(p), 0, 0, canvas.width, canvas.height);
  ctx.restore();
}

export function drawPixels(canvas: HTMLCanvasElement, p: Rgba | RgbaPixels): void {
  canvas.getContext('2d', { willReadFrequently: true })!.putImageData(imageData(p), 0, 0);
}

/** Draws a result: a reconstruction scaled to the canvas, or a heatmap over the preview (the canvas has the preview's size). */
export function drawPainting(canvas: HTMLCanvasElement, p: Painting, preview: RgbaPixels): void {
  if (p.kind === 'image') return drawScaled(canvas, p.image);
  if (p.blended) return drawPixels(canvas, p.blended);
  drawPixels(canvas, preview);
  drawScaled(canvas, p.colours, p.opacity);
}

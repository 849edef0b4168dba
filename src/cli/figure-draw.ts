/**
 * A figure as a list of drawing items (filled boxes, images, text lines) written two ways: a PNG (text in the
 * bitmap font) and an SVG (text as <text>, each image embedded as a base64 PNG).
 */
import { colorbarPixels, colorbarTicks } from '../protocol/colorbar';
import type { Rendered } from '../protocol/render';
import type { Box } from '../protocol/figure-layout';
import { encodePng } from '../engine/image/decode';
import { ADVANCE, LINE_H, drawText, textWidth, type Canvas } from './bitmap-font';

export type Rgb = readonly [number, number, number];
export interface Image { width: number; height: number; data: Uint8Array | Uint8ClampedArray }

export type Item =
  | { kind: 'rect'; box: Box; fill: Rgb }
  | { kind: 'image'; box: Box; image: Image }
  /** Lines from `y` down (line height LINE_H × scale); `center` centres each line on x. */
  | { kind: 'text'; x: number; y: number; lines: string[]; scale: number; color: Rgb; align: 'left' | 'center' };

export const WHITE: Rgb = [255, 255, 255];
export const INK: Rgb = [24, 24, 24];
export const MUTED: Rgb = [96, 96, 96];

export interface Figure { width: number; height: number; items: Item[] }

export function toPng(f: Figure): Buffer {
  const c: Canvas = { width: f.width, height: f.height, data: new Uint8Array(f.width * f.height * 4).fill(255) };
  for (const it of f.items) {
    if (it.kind === 'rect') fill(c, it.box, it.fill);
    else if (it.kind === 'image') blit(c, it.box, it.image);
    else {
      it.lines.forEach((line, k) => {
        const x = it.align === 'center' ? Math.round(it.x - textWidth(line, it.scale) / 2) : it.x;
        drawText(c, line, x, it.y + k * LINE_H * it.scale, it.scale, it.color);
      });
    }
  }
  return encodePng(c.width, c.height, c.data);
}

function fill(c: Canvas, b: Box, rgb: Rgb): void {
  for (let y = Math.max(0, b.y); y < Math.min(c.height, b.y + b.height); y++) {
    for (let x = Math.max(0, b.x); x < Math.min(c.width, b.x + b.width); x++) {
      const i = 4 * (y * c.width + x);
      c.data[i] = rgb[0]; c.data[i + 1] = rgb[1]; c.data[i + 2] = rgb[2]; c.data[i + 3] = 255;
    }
  }
}

/** Copies an image (composited over what is there by its alpha) with its top-left corner at the box's. */
function blit(c: Canvas, b: Box, img: Image): void {
  for (let y = 0; y < img.height; y++) {
    const cy = b.y + y;
    if (cy < 0 || cy >= c.height) continue;
    for (let x = 0; x < img.width; x++) {
      const cx = b.x + x;
      if (cx < 0 || cx >= c.width) continue;
      const s = 4 * (y * img.width + x);
      const d = 4 * (cy * c.width + cx);
      const a = img.data[s + 3] / 255;
      for (let k = 0; k < 3; k++) c.data[d + k] = Math.round(img.data[s + k] * a + c.data[d + k] * (1 - a));
      c.data[d + 3] = 255;
    }
  }
}

const hex = (rgb: Rgb) => '#' + rgb.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The same figure as SVG. Text is monospace at 10 px × scale, whose advance (0.6 em) and cap height (≈ 0.7 em)
 * match the bitmap font's, so the layout measured for the PNG holds.
 */
export function toSvg(f: Figure): string {
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}">`,
    `<rect width="${f.width}" height="${f.height}" fill="#ffffff"/>`,
  ];
  for (const it of f.items) {
    if (it.kind === 'rect') out.push(`<rect x="${it.box.x}" y="${it.box.y}" width="${it.box.width}" height="${it.box.height}" fill="${hex(it.fill)}"/>`);
    else if (it.kind === 'image') {
      const png = encodePng(it.image.width, it.image.height, Uint8Array.from(it.image.data)).toString('base64');
      out.push(`<image x="${it.box.x}" y="${it.box.y}" width="${it.image.width}" height="${it.image.height}" href="data:image/png;base64,${png}"/>`);
    } else {
      const anchor = it.align === 'center' ? ' text-anchor="middle"' : '';
      it.lines.forEach((line, k) => {
        const baseline = it.y + k * LINE_H * it.scale + 7 * it.scale;
        out.push(`<text x="${it.x}" y="${baseline}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="${10 * it.scale}" fill="${hex(it.color)}"${anchor} xml:space="preserve">${esc(line)}</text>`);
      });
    }
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** A ramp image `width` × `height` of the colours a rendered map was painted with (protocol/colorbar.ts). */
export function barRamp(r: Pick<Rendered, 'range' | 'colorMap'>, width: number, height: number): Image {
  const row = colorbarPixels(r.colorMap, r.range, width);
  const data = new Uint8ClampedArray(4 * width * height);
  for (let y = 0; y < height; y++) data.set(row, 4 * y * width);
  return { width, height, data };
}

/** Layout of a colour bar strip: the ramp's thickness and the tick labels' scale. */
export interface BarStyle { thickness: number; scale: number; pad: number }

export const barStripHeight = (s: BarStyle) => s.pad + s.thickness + 2 + LINE_H * s.scale + s.pad;

/** A colour bar inside `box`: a framed ramp, the range's ends under its ends and 0 where the range spans it. */
export function colourBar(r: Pick<Rendered, 'range' | 'colorMap'>, box: Box, s: BarStyle): Item[] {
  const inset = Math.round(box.width * 0.08);
  const ramp = { x: box.x + inset, y: box.y + s.pad, width: box.width - 2 * inset, height: s.thickness };
  const items: Item[] = [
    { kind: 'rect', box: { x: ramp.x - 1, y: ramp.y - 1, width: ramp.width + 2, height: ramp.height + 2 }, fill: MUTED },
    { kind: 'image', box: ramp, image: barRamp(r, ramp.width, ramp.height) },
  ];
  const y = ramp.y + ramp.height + 2;
  const ticks = colorbarTicks(r.range);
  let right = -Infinity;
  ticks.forEach((t, k) => {
    const w = textWidth(t.label, s.scale);
    const anchor = ramp.x + t.at * ramp.width;
    const left = Math.round(k === 0 ? anchor : k === ticks.length - 1 ? anchor - w : anchor - w / 2);
    const next = k < ticks.length - 1 ? ramp.x + ramp.width - textWidth(ticks[ticks.length - 1].label, s.scale) : Infinity;
    // A middle tick (0) only where it clears both ends' labels.
    if (k > 0 && k < ticks.length - 1 && (left < right + ADVANCE * s.scale || left + w > next - ADVANCE * s.scale)) return;
    items.push({ kind: 'text', x: left, y, lines: [t.label], scale: s.scale, color: INK, align: 'left' });
    right = left + w;
  });
  return items;
}

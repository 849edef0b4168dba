/**
 * One map as the panel shows it: optionally the photo on the left, the map on the right (both at the photo's
 * resolution, zoomed and panned together: wheel, drag, double-click resets; + − 0 and the arrows with the canvas
 * focused), the value under the pointer, and a colour bar with the scale's numbers underneath.
 */
import { colorbarPixels, colorbarTicks } from '../src/protocol/colorbar';
import type { RgbaPixels } from '../src/protocol/messages';
import type { InputFrame, Plane, Rendered } from '../src/protocol/render';
import { drawPixels, offscreen } from './canvas';
import { h } from './dom';
import { readout, type Painting } from './paint';
import { canvasToPlane, clientToCanvas, IDENTITY, panBy, zoomAt, type ViewTransform } from './zoom';

export interface MapViewOptions {
  photo: RgbaPixels;
  frame: InputFrame;
  /** Show the photo beside the map (the main view); grid cells show the map alone. */
  withPhoto: boolean;
  /** Element ids (the main view's are fixed: the e2e test and the export read them). */
  ids?: { map: string; photo: string; readout: string; colorbar: string };
  /** Draws over both canvases in photo pixels (the segmentation box). */
  decorate?(ctx: CanvasRenderingContext2D, lineWidth: number): void;
}

export interface ColorBarSpec { colorMap: Rendered['colorMap']; range: [number, number]; caption: string }

const HINT = 'hover for values · wheel zooms · drag pans · double-click resets';
const CELL_HINT = 'hover for values';

export class MapView {
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  readonly photoCanvas?: HTMLCanvasElement;
  readonly readout: HTMLElement;
  private readonly bar: HTMLElement;
  private readonly photoImage: HTMLCanvasElement;
  private readonly hint: string;
  private view: ViewTransform = IDENTITY;
  private painted?: { image: HTMLCanvasElement; box?: { x: number; y: number; w: number; h: number } };
  private plane?: () => Plane | undefined;

  constructor(private readonly o: MapViewOptions) {
    const { photo, ids } = o;
    const canvas = (id: string | undefined, className: string, title: string) => h('canvas', { id, className, width: photo.width, height: photo.height, tabIndex: 0, title, 'aria-label': title });
    this.canvas = canvas(ids?.map, 'map', `relevance map — ${HINT}`);
    this.photoImage = offscreen(photo);
    this.hint = o.withPhoto ? HINT : CELL_HINT;
    this.readout = h('div', { id: ids?.readout, className: 'readout', 'aria-live': 'polite' }, this.hint);
    this.bar = h('div', { id: ids?.colorbar, className: 'colorbar', role: 'img' });
    const pair = h('div', { className: 'pair' });
    if (o.withPhoto) {
      this.photoCanvas = canvas(ids?.photo, 'photo', `the image (${photo.width}×${photo.height}) — ${HINT}`);
      const f = o.frame;
      const cropped = f.x0 > 0.5 || f.y0 > 0.5 || f.x1 < f.width - 0.5 || f.y1 < f.height - 0.5;
      const caption = `the image, ${photo.width}×${photo.height}${cropped ? '; on the map, the hatched border is cropped away before the model sees it' : ' (the model sees all of it, resized)'}`;
      pair.append(h('div', { className: 'col' }, this.photoCanvas, h('div', { className: 'photo-caption' }, caption)));
    }
    pair.append(h('div', { className: 'col' }, this.canvas, this.bar, this.readout));
    this.element = h('div', { className: o.withPhoto ? 'map-view main-map' : 'map-view cell-map' }, pair);
    for (const c of [this.canvas, this.photoCanvas]) if (c) this.attach(c);
    this.redraw();
  }

  /** Shows a painting; `plane` gives hover values (computed on the first hover). */
  show(p: Painting, plane: () => Plane | undefined, bar?: ColorBarSpec): void {
    let memo: Plane | undefined | null = null;
    this.plane = () => (memo === null ? (memo = plane()) : memo);
    const f = this.o.frame;
    this.painted = p.kind === 'image'
      ? { image: offscreen(p.image), box: { x: f.x0, y: f.y0, w: f.x1 - f.x0, h: f.y1 - f.y0 } }
      : { image: offscreen(p.image) };
    this.showBar(bar);
    this.redraw();
  }

  /** Draws the photo and the map under the current zoom. */
  redraw(): void {
    const lw = Math.max(1, Math.round(this.o.photo.width / 300)) / this.view.scale;
    const draw = (c: HTMLCanvasElement, img: HTMLCanvasElement | undefined, box?: { x: number; y: number; w: number; h: number }) => {
      const ctx = c.getContext('2d', { willReadFrequently: true })!;
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.fillStyle = '#303030';
      ctx.fillRect(0, 0, c.width, c.height);
      ctx.setTransform(this.view.scale, 0, 0, this.view.scale, this.view.tx, this.view.ty);
      // Zoomed in, pixels stay crisp so a value can be read off one.
      ctx.imageSmoothingEnabled = this.view.scale < 2;
      if (img) ctx.drawImage(img, box?.x ?? 0, box?.y ?? 0, box?.w ?? c.width, box?.h ?? c.height);
      this.o.decorate?.(ctx, lw);
      ctx.setTransform(1, 0, 0, 1, 0, 0);
    };
    draw(this.canvas, this.painted?.image, this.painted?.box);
    if (this.photoCanvas) draw(this.photoCanvas, this.photoImage);
    this.canvas.dataset.zoom = this.view.scale.toFixed(2);
  }

  resetView(): void { this.view = IDENTITY; this.redraw(); }

  private showBar(spec: ColorBarSpec | undefined): void {
    this.bar.textContent = '';
    this.bar.hidden = !spec;
    if (!spec) return;
    const strip = h('canvas', { className: 'bar', width: 256, height: 1 });
    drawPixels(strip, { width: 256, height: 1, data: colorbarPixels(spec.colorMap, spec.range, 256) });
    const ticks = h('div', { className: 'ticks' });
    for (const t of colorbarTicks(spec.range)) {
      const span = h('span', { className: `tick${t.at === 0 ? ' first' : t.at === 1 ? ' last' : ''}`, 'data-value': t.value }, t.label);
      span.style.left = `${(t.at * 100).toFixed(2)}%`;
      ticks.append(span);
    }
    this.bar.setAttribute('aria-label', `colour scale from ${spec.range[0]} to ${spec.range[1]}: ${spec.caption}`);
    this.bar.append(strip, ticks, h('div', { className: 'bar-caption' }, spec.caption));
  }

  private attach(c: HTMLCanvasElement): void {
    const size = () => ({ w: c.width, h: c.height });
    let drag: { x: number; y: number; moved: boolean } | undefined;
    const at = (e: { clientX: number; clientY: number }) => clientToCanvas(e.clientX, e.clientY, c.getBoundingClientRect(), c);
    c.addEventListener('wheel', (e) => {
      e.preventDefault();
      const [x, y] = at(e);
      this.setView(zoomAt(this.view, Math.exp(-e.deltaY * 0.0015), x, y, size().w, size().h));
    }, { passive: false });
    c.addEventListener('pointerdown', (e) => { drag = { x: e.clientX, y: e.clientY, moved: false }; c.setPointerCapture(e.pointerId); });
    c.addEventListener('pointerup', () => { drag = undefined; });
    c.addEventListener('pointercancel', () => { drag = undefined; });
    c.addEventListener('pointermove', (e) => {
      if (drag) {
        const r = c.getBoundingClientRect();
        const dx = ((e.clientX - drag.x) * c.width) / r.width, dy = ((e.clientY - drag.y) * c.height) / r.height;
        drag = { x: e.clientX, y: e.clientY, moved: true };
        this.setView(panBy(this.view, dx, dy, size().w, size().h));
      }
      this.hover(...at(e));
    });
    c.addEventListener('pointerleave', () => { this.readout.textContent = this.hint; });
    c.addEventListener('dblclick', () => this.resetView());
    c.addEventListener('keydown', (e) => {
      const { w, h: hh } = size();
      const step = w / 10;
      const next = e.key === '+' || e.key === '=' ? zoomAt(this.view, 1.25, w / 2, hh / 2, w, hh)
        : e.key === '-' ? zoomAt(this.view, 0.8, w / 2, hh / 2, w, hh)
          : e.key === '0' ? IDENTITY
            : e.key === 'ArrowLeft' ? panBy(this.view, step, 0, w, hh) : e.key === 'ArrowRight' ? panBy(this.view, -step, 0, w, hh)
              : e.key === 'ArrowUp' ? panBy(this.view, 0, step, w, hh) : e.key === 'ArrowDown' ? panBy(this.view, 0, -step, w, hh) : undefined;
      if (next) { e.preventDefault(); this.setView(next); }
    });
  }

  private setView(v: ViewTransform): void {
    this.view = v;
    this.redraw();
  }

  private hover(x: number, y: number): void {
    const { photo } = this.o;
    const p = canvasToPlane(this.view, x, y, this.canvas, photo);
    if (!p) { this.readout.textContent = this.hint; return; }
    this.readout.textContent = readout(this.painted ? this.plane?.() : undefined, photo, p.x, p.y);
  }
}

/**
 * The comparison grids' cells (one method per cell, or one model per cell): each a map with its colour bar and
 * hover value, painted at a reduced copy of the photo, each with its method's display. With "one shared scale"
 * every map saturates at one threshold over all their values (the paper's comparisons), else each at its own.
 */
import { slotKey, type PanelState, type Slot } from '../src/protocol/messages';
import type { ClipSpec, DisplayOptions, Plane } from '../src/protocol/render';
import type { MethodInfo, TensorData } from '../src/protocol/types';
import { h } from './dom';
import { asNCHW, downscale } from './frame';
import { scaleFrame } from '../src/protocol/render';
import { MapView } from './map-view';
import { colorbarFor, gridThreshold, paintResult, valuePlane } from './paint';

export interface Shown { relevance: TensorData; output: MethodInfo['output']; method: string }

interface Cell { slot: Slot; method: string; view: MapView; caption: HTMLElement; trust: HTMLElement; figure: HTMLElement; last?: Shown; plane?: { reduction: string; plane: Plane } }

export interface GridHost {
  state: PanelState;
  display(method: string): DisplayOptions;
  /** The clip of the shared scale (the current method's). */
  clip(): ClipSpec;
  shared(): boolean;
  decorate?(ctx: CanvasRenderingContext2D, lineWidth: number): void;
}

/** Cells are drawn at most this many pixels wide or high. */
const CELL_SIDE = 320;

export class Grid {
  private readonly cells = new Map<string, Cell>();
  private readonly photo;
  private readonly frame;

  constructor(readonly element: HTMLElement, private readonly host: GridHost) {
    this.photo = downscale(host.state.preview, CELL_SIDE);
    this.frame = scaleFrame(host.state.frame, this.photo.width, this.photo.height);
  }

  /** Removes every cell; returns their slots (their runs are to be cancelled). */
  clear(): Slot[] {
    const slots = [...this.cells.values()].map((c) => c.slot);
    this.cells.clear();
    this.element.textContent = '';
    return slots;
  }

  build(title: string, entries: { slot: Slot; title: string; method: string }[]): void {
    this.element.append(h('h3', { className: 'grid-title' }, title));
    const row = h('div', { className: 'cells' });
    this.element.append(row);
    for (const e of entries) {
      const view = new MapView({ photo: this.photo, frame: this.frame, withPhoto: false, decorate: this.host.decorate });
      view.canvas.classList.add('cell-canvas');
      const caption = h('div', { className: 'caption' }, 'running…');
      const trust = h('div', { className: 'cell-trust' });
      const figure = h('figure', { className: 'cell', 'data-slot': slotKey(e.slot) }, view.element, h('figcaption', {}, h('strong', {}, e.title), caption, trust));
      row.append(figure);
      this.cells.set(slotKey(e.slot), { slot: e.slot, method: e.method, view, caption, trust, figure });
    }
  }

  has(slot: Slot): boolean { return this.cells.has(slotKey(slot)); }

  running(slot: Slot): void {
    const c = this.cells.get(slotKey(slot));
    if (c) { c.caption.textContent = 'running…'; c.trust.textContent = ''; }
  }

  /** The cell's Trust line (its deletion and insertion AUCs). */
  setTrust(slot: Slot, text: string): void {
    const c = this.cells.get(slotKey(slot));
    if (c) c.trust.textContent = text;
  }

  /** The cells that show a map now, with their slots and methods. */
  shownMaps(): { slot: Slot; method: string }[] {
    return [...this.cells.values()].filter((c) => c.last && c.last.output !== 'image').map((c) => ({ slot: c.slot, method: c.method }));
  }

  result(slot: Slot, shown: Shown, info: string): void {
    const c = this.cells.get(slotKey(slot));
    if (!c) return;
    c.last = { ...shown, relevance: asNCHW(shown.relevance, this.host.state.inputSize) };
    c.plane = undefined;
    c.caption.textContent = info;
    c.view.canvas.dataset.rendered = '1';
    // A new map moves the shared threshold: every cell is repainted on it.
    if (this.host.shared()) this.repaint();
    else this.paint(c, undefined);
  }

  error(slot: Slot, text: string): void {
    const c = this.cells.get(slotKey(slot));
    if (c) { c.caption.textContent = text; c.view.canvas.dataset.rendered = 'error'; }
  }

  repaint(): void {
    const maps = [...this.cells.values()].filter((c) => c.last && c.last.output !== 'image');
    const threshold = this.host.shared() && maps.length ? gridThreshold(maps.map((c) => ({ plane: this.plane(c), sign: this.host.display(c.method).sign, offset: this.host.display(c.method).offset })), this.host.clip()) : undefined;
    for (const c of this.cells.values()) if (c.last) this.paint(c, threshold);
    const title = this.element.querySelector('.grid-title');
    if (title) title.setAttribute('data-scale', threshold !== undefined ? String(threshold) : 'per-map');
  }

  /** The shown cells' map canvases, for the export. */
  canvases(): HTMLCanvasElement[] {
    return [...this.cells.values()].filter((c) => c.last).map((c) => c.view.canvas);
  }

  /** The cell's value plane at the cell's resolution, kept while its reduction stays. */
  private plane(c: Cell): Plane {
    const reduction = this.host.display(c.method).reduction;
    if (c.plane?.reduction !== reduction) c.plane = { reduction, plane: valuePlane(c.last!.relevance, reduction, this.frame) };
    return c.plane.plane;
  }

  private paint(c: Cell, threshold: number | undefined): void {
    const last = c.last!;
    const d: DisplayOptions = { ...this.host.display(c.method), threshold };
    const p = paintResult(last.relevance, last.output, d, this.photo, this.frame);
    c.view.show(p, () => (p.kind === 'map' ? this.plane(c) : undefined), p.kind === 'map' ? colorbarFor(p.image, d, threshold !== undefined) : undefined);
    c.view.canvas.dataset.threshold = p.kind === 'map' ? String(p.image.threshold) : '';
  }
}

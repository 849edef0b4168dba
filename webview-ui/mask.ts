/**
 * The Visualize panel's parts for models with a spatial output (segmentation): the predicted mask over the photo
 * (in the box the model's input covers) in class colours, a legend of the classes present (click one to explain
 * it), and a box dragged on the mask that becomes the target's region (input pixels, as the engine takes them:
 * mapped from the photo through the InputFrame). Browser code: imports only src/protocol and the webview's modules.
 */
import type { RgbaPixels } from '../src/protocol/messages';
import type { InputFrame } from '../src/protocol/render';
import type { DenseMap, Region } from '../src/protocol/types';
import { drawBox, drawPixels, drawScaled } from './canvas';
import { vsButton } from './elements';
import { photoToInput, regionToPhoto, type Size } from './frame';
import { classColour, maskPixels } from './paint';
import { clientToCanvas } from './zoom';

const css = (c: number) => `rgb(${classColour(c).join(',')})`;
const MASK_OPACITY = 0.55;

/**
 * Box dragging on a canvas drawn at the photo's size: the canvas is snapshot when the drag starts so the live
 * outline never accumulates. A click without a drag clears the box.
 */
function attachBoxDrag(canvas: HTMLCanvasElement, frame: InputFrame, input: Size, onBox: (r: Region | undefined) => void): void {
  let start: [number, number] | undefined;
  let snapshot: ImageData | undefined;
  const at = (e: PointerEvent): [number, number] => photoToInput(frame, input, ...clientToCanvas(e.clientX, e.clientY, canvas.getBoundingClientRect(), canvas));
  const box = (a: [number, number], b: [number, number]): Region => ({ y0: Math.min(a[0], b[0]), x0: Math.min(a[1], b[1]), y1: Math.max(a[0], b[0]), x1: Math.max(a[1], b[1]) });
  const lw = Math.max(1, Math.round(canvas.width / 300));
  canvas.style.cursor = 'crosshair';
  canvas.title = `${canvas.title ? `${canvas.title} — ` : ''}drag a box to explain that region; click to clear it`;
  canvas.addEventListener('pointerdown', (e) => {
    start = at(e);
    snapshot = canvas.getContext('2d', { willReadFrequently: true })!.getImageData(0, 0, canvas.width, canvas.height);
    canvas.setPointerCapture(e.pointerId);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!start || !snapshot) return;
    canvas.getContext('2d')!.putImageData(snapshot, 0, 0);
    drawBox(canvas.getContext('2d')!, regionToPhoto(box(start, at(e)), frame, input), lw);
  });
  canvas.addEventListener('pointerup', (e) => {
    if (!start) return;
    const r = box(start, at(e));
    start = undefined;
    if (snapshot) canvas.getContext('2d')!.putImageData(snapshot, 0, 0);
    snapshot = undefined;
    onBox(r.y1 - r.y0 >= 2 && r.x1 - r.x0 >= 2 ? r : undefined);
  });
}

export interface DenseOptions {
  region?: Region;
  onRegion(r: Region | undefined): void;
  onPick(classIndex: number): void;
}

/** The mask view: its canvas, legend and box; `decorate` draws the box on other canvases (the maps, the grids). */
export class DenseView {
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly chips = new Map<number, HTMLElement>();
  private readonly boxLabel: HTMLElement;
  region?: Region;

  constructor(private readonly mask: DenseMap, private readonly preview: RgbaPixels, private readonly frame: InputFrame, private readonly input: Size, private readonly opts: DenseOptions) {
    this.region = opts.region;
    this.canvas = el('canvas', 'heatmap mask');
    Object.assign(this.canvas, { id: 'mask', width: preview.width, height: preview.height, title: `predicted class per pixel (${mask.height}×${mask.width} output)` });
    this.canvas.dataset.classes = String(mask.present.length);
    attachBoxDrag(this.canvas, frame, input, (r) => this.setRegion(r));
    const legend = el('div', 'legend');
    legend.id = 'legend';
    for (const p of mask.present) {
      const chip = el('span', 'chip');
      chip.dataset.index = String(p.index);
      chip.title = `class ${p.index}: predicted at ${((p.fraction ?? 0) * 100).toFixed(1)}% of pixels — click to explain it`;
      chip.append(this.swatch(p.index), `${p.label ?? `class ${p.index}`} ${((p.fraction ?? 0) * 100).toFixed(1)}%`);
      chip.addEventListener('click', () => opts.onPick(p.index));
      legend.append(chip);
      this.chips.set(p.index, chip);
    }
    this.boxLabel = el('span', 'box-label');
    this.boxLabel.id = 'region';
    const clear = vsButton('clear-region', 'Clear box', () => this.setRegion(undefined), 'explain the whole image again', true);
    const row = el('div', 'row');
    row.append(this.boxLabel, clear);
    this.element = el('figure', 'mask-view');
    this.element.append(this.canvas, legend, row);
    this.paint();
  }

  /** A class's colour swatch (the predictions list uses it too). */
  swatch(c: number): HTMLElement {
    const s = el('span', 'swatch');
    s.style.background = css(c);
    return s;
  }

  select(c: number | undefined): void {
    for (const [i, chip] of this.chips) chip.classList.toggle('selected', i === c);
  }

  setRegion(r: Region | undefined): void {
    this.region = r;
    this.paint();
    this.opts.onRegion(r);
  }

  /** The photo with the arg-max classes over the input's box (nearest-neighbour: a stride-8 head shows its cells). */
  paint(): void {
    const f = this.frame;
    drawPixels(this.canvas, this.preview);
    drawScaled(this.canvas, maskPixels(this.mask), MASK_OPACITY, false, { x: f.x0, y: f.y0, w: f.x1 - f.x0, h: f.y1 - f.y0 });
    this.decorate(this.canvas.getContext('2d')!, Math.max(1, Math.round(this.canvas.width / 300)));
    const r = this.region;
    this.boxLabel.textContent = r ? `box rows ${r.y0}–${r.y1 - 1}, cols ${r.x0}–${r.x1 - 1}` : 'drag a box on the image to explain a region';
    if (r) this.canvas.dataset.region = `${r.y0},${r.x0},${r.y1},${r.x1}`;
    else delete this.canvas.dataset.region;
  }

  /** Draws the box on a context in photo pixels. */
  decorate(ctx: CanvasRenderingContext2D, lineWidth: number): void {
    if (this.region) drawBox(ctx, regionToPhoto(this.region, this.frame, this.input), lineWidth);
  }
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  return e;
}

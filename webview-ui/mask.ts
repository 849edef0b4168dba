/**
 * The Visualize panel's parts for models with a spatial output (segmentation): the predicted mask over the image
 * in class colours, a legend of the classes present (click one to explain it), and a box dragged on the mask or the
 * heatmap that becomes the target's region (input pixels, as the engine takes them: the canvases are drawn at the
 * model's input size). Browser code: imports only src/protocol and the webview's own modules.
 */
import type { RgbaPixels } from '../src/protocol/messages';
import type { DenseMap, Region } from '../src/protocol/types';
import { drawPixels, drawScaled } from './canvas';
import { classColour, maskPixels } from './paint';

const css = (c: number) => `rgb(${classColour(c).join(',')})`;
const MASK_OPACITY = 0.55;

/** Draws a region outline (white over black, visible on any image). */
function drawBox(canvas: HTMLCanvasElement, r: Region): void {
  const ctx = canvas.getContext('2d')!;
  const lw = Math.max(1, Math.round(canvas.width / 224));
  ctx.save();
  ctx.lineWidth = lw * 2;
  ctx.strokeStyle = 'rgba(0,0,0,0.8)';
  ctx.strokeRect(r.x0, r.y0, r.x1 - r.x0, r.y1 - r.y0);
  ctx.lineWidth = lw;
  ctx.setLineDash([4 * lw, 3 * lw]);
  ctx.strokeStyle = '#fff';
  ctx.strokeRect(r.x0, r.y0, r.x1 - r.x0, r.y1 - r.y0);
  ctx.restore();
}

/**
 * Box dragging on a canvas: the canvas is snapshot when the drag starts so the live outline never accumulates.
 * A click without a drag clears the box.
 */
export function attachBoxDrag(canvas: HTMLCanvasElement, onBox: (r: Region | undefined) => void): void {
  let start: [number, number] | undefined;
  let snapshot: ImageData | undefined;
  const at = (e: PointerEvent): [number, number] => {
    const rect = canvas.getBoundingClientRect();
    const x = ((e.clientX - rect.left) * canvas.width) / rect.width, y = ((e.clientY - rect.top) * canvas.height) / rect.height;
    return [Math.max(0, Math.min(canvas.height, Math.round(y))), Math.max(0, Math.min(canvas.width, Math.round(x)))];
  };
  const box = (a: [number, number], b: [number, number]): Region => ({ y0: Math.min(a[0], b[0]), x0: Math.min(a[1], b[1]), y1: Math.max(a[0], b[0]), x1: Math.max(a[1], b[1]) });
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
    drawBox(canvas, box(start, at(e)));
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

/** The mask view: its canvas, legend and box; `decorate` draws the box on other canvases (the heatmap, the grids). */
export class DenseView {
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly chips = new Map<number, HTMLElement>();
  private readonly boxLabel: HTMLElement;
  region?: Region;

  constructor(private readonly mask: DenseMap, private readonly preview: RgbaPixels, private readonly opts: DenseOptions) {
    this.region = opts.region;
    this.canvas = el('canvas', 'heatmap mask');
    Object.assign(this.canvas, { id: 'mask', width: preview.width, height: preview.height, title: `predicted class per pixel (${mask.height}×${mask.width} output)` });
    this.canvas.dataset.classes = String(mask.present.length);
    attachBoxDrag(this.canvas, (r) => this.setRegion(r));
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
    const clear = el('button', '');
    clear.id = 'clear-region';
    clear.textContent = 'Clear box';
    clear.addEventListener('click', () => this.setRegion(undefined));
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

  /** The image with the arg-max classes over it (nearest-neighbour: a stride-8 head shows its cells). */
  paint(): void {
    drawPixels(this.canvas, this.preview);
    drawScaled(this.canvas, maskPixels(this.mask), MASK_OPACITY, false);
    this.decorate(this.canvas);
    const r = this.region;
    this.boxLabel.textContent = r ? `box rows ${r.y0}–${r.y1 - 1}, cols ${r.x0}–${r.x1 - 1}` : 'drag a box on the image to explain a region';
    if (r) this.canvas.dataset.region = `${r.y0},${r.x0},${r.y1},${r.x1}`;
    else delete this.canvas.dataset.region;
  }

  decorate(canvas: HTMLCanvasElement): void {
    if (this.region) drawBox(canvas, this.region);
  }
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  return e;
}

/**
 * `featurevis figure`: the paper's comparison figures. Fig. 3: a row per image, a column per method; Fig. 4 (several
 * models): a column per model under each method. Each map goes through the display pipeline at the photo's aspect
 * ratio (protocol/render.ts), with its colour bar; a method that cannot run on a model gets a cell saying why.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Engine } from '../engine/engine';
import { methodParams } from '../engine/engine';
import { FeatureVisError, invalidParams } from '../engine/errors';
import { decodeImage, type RgbaImage } from '../engine/image/decode';
import { resizeRgba } from '../engine/image/resize';
import { inputFrame, loadImageFile } from '../engine/preprocess';
import { relevanceForDisplay } from '../engine/layout';
import type { LoadedModel } from '../engine/model';
import { defaultDisplay, offsetPlane, relevancePlane, renderRelevance, scaleFrame, sharedThreshold, toFrame, type DisplayOptions, type InputFrame, type Plane, type Rendered } from '../protocol/render';
import { figureLayout, fitCell, type FigureLayout } from '../protocol/figure-layout';
import type { MethodInfo, TensorData } from '../protocol/types';
import { required, str, num, unknownFlag, type Args } from './args';
import { DISPLAY_FLAGS, checkDisplayFlags, displayFromFlags } from './display-flags';
import { flagSchema, paramsFromFlags, targetFrom } from './method-flags';
import { writeAtomic } from './io';
import { ADVANCE, LINE_H, fits, textWidth, wrap } from './bitmap-font';
import { INK, MUTED, barStripHeight, colourBar, toPng, toSvg, type BarStyle, type Figure, type Item } from './figure-draw';

export const FIGURE_FLAGS = new Set(['inputs', 'methods', 'model', 'models', 'target', 'shared-scale', 'cell-width', 'out', 'threads', ...DISPLAY_FLAGS]);

/** Errors that belong to one method on one model (no rule for an op, no CAM head): shown in the cell. */
const CELL_ERRORS = new Set(['UnsupportedOp', 'InvalidParams', 'InvalidInput']);

interface Column { method: MethodInfo; model: number; display: DisplayOptions }
type Cell = { rel: TensorData; frame: InputFrame; ms: number } | { error: string };
interface Row { file: string; photo: RgbaImage; labels: string[] }

const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

/** Text scale from the column width: labels stay legible next to larger cells. */
export const textScale = (cellWidth: number) => (cellWidth >= 300 ? 3 : cellWidth >= 160 ? 2 : 1);

/** A header's lines: the title, else its part before '(' or '—', else the id, in at most two lines. */
export function headerLines(title: string, id: string, maxChars: number): string[] {
  if (fits(title, maxChars, 1)) return [title];
  const short = title.split(/\s[(—–]/)[0];
  // "Name (detail)": the detail on a line of its own when both fit.
  const detail = title.slice(short.length).trim();
  if (detail && [...short].length <= maxChars && [...detail].length <= maxChars) return [short, detail];
  const pick = [title, short, id].find((t) => fits(t, maxChars, 2)) ?? id;
  return wrap(pick, maxChars, 2);
}

export interface FigureResult extends Figure {
  layout: FigureLayout;
  /** Each cell's saturation value (row, map column); NaN where the method could not run. */
  thresholds: number[][];
  failed: number;
  rows: number;
  columns: number;
}

export async function buildFigure(engine: Engine, args: Args, log: (line: string) => void = () => undefined): Promise<FigureResult> {
  const inputs = list(required(args, 'inputs', 'images separated by commas, e.g. a.png,b.png'));
  if (inputs.some((f) => f.toLowerCase().endsWith('.npy'))) throw invalidParams('--inputs must be images (PNG or JPEG): a figure shows each photo beside its maps');
  const methodIds = list(required(args, 'methods', `methods separated by commas, from: ${engine.methods().filter((m) => m.output !== 'image').map((m) => m.id).join(', ')}`));
  const methods = methodIds.map((id) => {
    engine.method(id);
    const info = engine.methods().find((m) => m.id === id)!;
    if (info.output === 'image') throw invalidParams(`'${id}' is a reconstruction (an image, not a map); a figure compares attribution methods`);
    return info;
  });
  // A wrapper's (SmoothGrad's) flags include its inner method's.
  const schemas = new Map(methods.map((m) => [m.id, flagSchema(engine.method(m.id), (id) => engine.method(id), args)] as const));
  for (const k of args.flags.keys()) {
    if (!FIGURE_FLAGS.has(k) && ![...schemas.values()].some((s) => s.some((p) => p.name === k))) {
      throw unknownFlag(k, `figure or of ${methodIds.join(', ')}`, [...FIGURE_FLAGS, ...[...schemas.values()].flat().map((p) => p.name)]);
    }
  }
  checkDisplayFlags(args);
  const params = new Map(methods.map((m) => {
    const p = paramsFromFlags(schemas.get(m.id)!, args);
    methodParams(engine.method(m.id), p);
    return [m.id, p] as const;
  }));
  const modelFiles: (string | undefined)[] = args.flags.has('models') ? list(required(args, 'models', 'models separated by commas')) : [str(args, 'model')];
  const models = modelFiles.map((f) => engine.open(f));
  const shared = args.flags.has('shared-scale') && args.flags.get('shared-scale') !== 'false';
  const columns: Column[] = methods.flatMap((method) => models.map((_, model) => ({ method, model, display: displayFromFlags(args, defaultDisplay(method)) })));

  const rows: Row[] = inputs.map((file) => {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch (e) {
      throw invalidParams(`cannot read image ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    return { file, photo: decodeImage(bytes, path.basename(file)), labels: [path.basename(file)] };
  });
  const cells: Cell[][] = rows.map(() => columns.map(() => ({ error: '' })));
  for (const [mi, model] of models.entries()) {
    const p = model.preprocessing();
    const target = targetFrom(args, model);
    for (const [r, row] of rows.entries()) {
      const input = loadImageFile(row.file, p);
      const [top] = (await engine.predict(model, input, 1))[0];
      const label = `${top.label ?? `class ${top.index}`} ${(100 * top.probability).toFixed(0)}%`;
      row.labels.push(models.length > 1 ? `${shortName(model)}: ${label}` : label);
      const frame = inputFrame(p, row.photo.width, row.photo.height);
      const times: string[] = [];
      for (const [c, col] of columns.entries()) {
        if (col.model !== mi) continue;
        cells[r][c] = await explainCell(engine, model, input, col.method.id, params.get(col.method.id)!, target, frame);
        const cell = cells[r][c];
        times.push(`${col.method.id} ${'error' in cell ? 'failed' : `${cell.ms.toFixed(0)} ms`}`);
      }
      log(`${path.basename(row.file)} (${label}${models.length > 1 ? `, ${shortName(model)}` : ''}): ${times.join(', ')}`);
    }
  }
  const target = str(args, 'target');
  if (target) rows.forEach((row) => row.labels.push(`target ${target}`));
  const failed = cells.flat().filter((c) => 'error' in c);
  if (failed.length === cells.flat().length) throw invalidParams(`no method ran: ${(failed[0] as { error: string }).error}`);
  const cellWidth = num(args, 'cell-width') ?? Math.max(128, Math.min(400, ...rows.map((r) => r.photo.width)));
  if (!(cellWidth >= 32 && cellWidth <= 2048)) throw invalidParams(`--cell-width must be in [32, 2048], got ${cellWidth}`);
  const figure = compose(rows, columns, cells, models, { cellWidth, shared });
  return { ...figure, failed: failed.length, rows: rows.length, columns: columns.length };
}

async function explainCell(engine: Engine, model: LoadedModel, input: TensorData, method: string, params: Record<string, unknown>, target: ReturnType<typeof targetFrom>, frame: InputFrame): Promise<Cell> {
  try {
    const t0 = performance.now();
    const r = await engine.explain({ model, input, method, params: params as never, target });
    return { rel: relevanceForDisplay(r.relevance, input.dims, model.preprocessing().layout), frame, ms: performance.now() - t0 };
  } catch (e) {
    if (e instanceof FeatureVisError && CELL_ERRORS.has(e.code)) return { error: e.message };
    throw e;
  }
}

const shortName = (m: LoadedModel) => path.basename(m.path).replace(/\.onnx$/i, '');

/** The maps a method's shared threshold is taken over (each channel for the RGB image). */
function planesOf(rel: TensorData, d: DisplayOptions, frame: InputFrame): Plane[] {
  const [, c, h, w] = rel.dims;
  if (d.mode === 'rgb' && c > 1) {
    return Array.from({ length: Math.min(c, 3) }, (_, ch) => toFrame({ width: w, height: h, data: rel.data.subarray(ch * h * w, (ch + 1) * h * w) }, frame));
  }
  return [offsetPlane(toFrame(relevancePlane(rel, d.reduction), frame), d.offset)];
}

function compose(rows: Row[], columns: Column[], cells: Cell[][], models: LoadedModel[], o: { cellWidth: number; shared: boolean }): Figure & { layout: FigureLayout; thresholds: number[][] } {
  const s = textScale(o.cellWidth);
  const small = Math.max(1, s - 1);
  const gap = 2 * s + 2;
  const bar: BarStyle = { thickness: 3 * s + 2, scale: small, pad: s + 1 };
  const maxChars = Math.floor((o.cellWidth / s + 1) / ADVANCE);
  const labelChars = 16;
  const rowLines = rows.map((r) => r.labels.flatMap((l, k) => wrap(l, labelChars, k === 0 ? 2 : 3)));
  const rowLabelWidth = Math.max(...rowLines.flat().map((l) => textWidth(l, s)), textWidth('image', s)) + 2 * s;
  const several = models.length > 1;
  const layout = figureLayout({
    photos: rows.map((r) => ({ width: r.photo.width, height: r.photo.height })),
    columns: columns.length,
    groups: several ? columns.filter((c) => c.model === 0).map(() => models.length) : undefined,
    cellWidth: o.cellWidth, rowLabelWidth,
    headerHeight: 2 * LINE_H * s + 2 * s,
    barHeight: o.shared ? 0 : barStripHeight(bar),
    footerHeight: o.shared ? barStripHeight(bar) : 0,
    gap, margin: 4 * s + 4,
  });
  const items: Item[] = [];
  const header = (lines: string[], b: { x: number; y: number; width: number; height: number }, scale = s) =>
    items.push({ kind: 'text', x: b.x + Math.floor(b.width / 2), y: b.y + b.height - lines.length * LINE_H * scale - s, lines, scale, color: INK, align: 'center' });
  header(['Image'], layout.photoHeader);
  if (!several) {
    // The model's name in the corner above the row labels.
    const corner = { x: layout.rows[0].label.x, y: layout.photoHeader.y, width: rowLabelWidth, height: layout.photoHeader.height };
    const lines = wrap(models[0].name, Math.floor((rowLabelWidth / small + 1) / ADVANCE), 3);
    items.push({ kind: 'text', x: corner.x, y: corner.y + corner.height - lines.length * LINE_H * small - s, lines, scale: small, color: MUTED, align: 'left' });
  }
  columns.forEach((col, c) => {
    header(several ? wrap(shortName(models[col.model]), maxChars, 2) : headerLines(col.method.title, col.method.id, maxChars), layout.headers[c]);
  });
  layout.groupHeaders.forEach((b, g) => {
    const m = columns[g * models.length].method;
    header(headerLines(m.title, m.id, Math.floor((b.width / s + 1) / ADVANCE)), { ...b, height: b.height - s });
    items.push({ kind: 'rect', box: { x: b.x + 2 * s, y: b.y + b.height - s, width: b.width - 4 * s, height: Math.max(1, Math.floor(s / 2)) }, fill: MUTED });
  });

  // One threshold per method over every image and model when the scale is shared.
  const thresholds = new Map<string, number>();
  if (o.shared) {
    for (const col of columns) {
      if (thresholds.has(col.method.id)) continue;
      const planes = rows.flatMap((_, r) => columns.flatMap((cc, c) => {
        const cell = cells[r][c];
        if (cc.method.id !== col.method.id || 'error' in cell) return [];
        const box = layout.rows[r].cells[c];
        return planesOf(cell.rel, cc.display, scaleFrame(cell.frame, box.width, box.height));
      }));
      if (planes.length) thresholds.set(col.method.id, sharedThreshold(planes, col.display.mode === 'bw' && col.display.sign === 'all' ? 'absolute' : col.display.sign, col.display.clip));
    }
  }
  const footerShown = new Set<number>();
  const drawn = rows.map(() => columns.map(() => Number.NaN));
  rows.forEach((row, r) => {
    const L = layout.rows[r];
    const fit = fitCell(row.photo.width, row.photo.height, o.cellWidth);
    const photo = resizeRgba(row.photo, fit.width, fit.height);
    items.push({ kind: 'text', x: L.label.x, y: L.label.y + s, lines: rowLines[r].slice(0, Math.max(1, Math.floor(L.label.height / (LINE_H * s)))), scale: s, color: INK, align: 'left' });
    items.push({ kind: 'image', box: L.photo, image: photo });
    columns.forEach((col, c) => {
      const cell = cells[r][c];
      const box = L.cells[c];
      if ('error' in cell) {
        items.push({ kind: 'rect', box: L.slots[c], fill: [236, 236, 236] });
        const chars = Math.floor((o.cellWidth / small - 4) / ADVANCE);
        const lines = wrap(`${col.method.id} cannot run: ${cell.error}`, chars, Math.max(1, Math.floor((L.slots[c].height - 8) / (LINE_H * small))));
        items.push({ kind: 'text', x: L.slots[c].x + 3 * small, y: L.slots[c].y + 3 * small, lines, scale: small, color: MUTED, align: 'left' });
        return;
      }
      const display = { ...col.display, threshold: thresholds.get(col.method.id) };
      const rendered: Rendered = renderRelevance(cell.rel, display, photo, scaleFrame(cell.frame, box.width, box.height));
      items.push({ kind: 'image', box, image: rendered });
      drawn[r][c] = rendered.threshold;
      if (!o.shared) items.push(...colourBar(rendered, L.bars[c], bar));
      else if (!footerShown.has(c)) {
        footerShown.add(c);
        items.push(...colourBar(rendered, layout.footers[c], bar));
      }
    });
  });
  return { width: layout.width, height: layout.height, items, layout, thresholds: drawn };
}

export async function figureCommand(engine: Engine, args: Args): Promise<void> {
  const out = required(args, 'out', 'fig.png or fig.svg');
  if (!/\.(png|svg)$/i.test(out)) throw invalidParams(`--out must end in .png or .svg, got '${out}'`);
  if (!fs.existsSync(path.dirname(path.resolve(out)))) throw invalidParams(`the output folder ${path.dirname(path.resolve(out))} does not exist`);
  const fig = await buildFigure(engine, args, (line) => console.log(`  ${line}`));
  writeFigure(fig, out);
  console.log(`figure: ${fig.rows} image${fig.rows > 1 ? 's' : ''} × ${fig.columns} map column${fig.columns > 1 ? 's' : ''}${fig.failed ? ` (${fig.failed} cell${fig.failed > 1 ? 's' : ''} could not run)` : ''}, ${fig.width}×${fig.height} → ${out}`);
}

export function writeFigure(fig: Figure, out: string): void {
  writeAtomic(out, out.toLowerCase().endsWith('.svg') ? Buffer.from(toSvg(fig), 'utf8') : toPng(fig));
}

/**
 * Geometry of a comparison figure (the paper's Figs. 3 and 4): a row per image, a label strip on the left, the photo
 * column, then one column per map (method, or model × method), with header rows above, a colour-bar strip under
 * each row of maps (or one footer strip of shared bars). Every column has one width; a row's height follows its
 * photo's aspect ratio (at most 1.5 × the width), and each cell's image is that photo's size fitted into the slot.
 * Pure arithmetic: no text measuring, no pixels.
 */

export interface Box { x: number; y: number; width: number; height: number }

export interface FigureLayoutSpec {
  /** Each row's photo size (original pixels). */
  photos: readonly { width: number; height: number }[];
  /** Map columns (the photo column comes in addition, first). */
  columns: number;
  /** Header groups spanning consecutive map columns (Fig. 4: the models of one method); none: one header row. */
  groups?: readonly number[];
  cellWidth: number;
  rowLabelWidth: number;
  /** Height of one header row. */
  headerHeight: number;
  /** Height of the colour-bar strip under each row of maps (0: none). */
  barHeight: number;
  /** Height of the footer strip of shared colour bars (0: none). */
  footerHeight: number;
  gap: number;
  margin: number;
}

export interface FigureRow {
  label: Box;
  /** Slots (column width × row height): the photo's, then each map column's. */
  photoSlot: Box;
  slots: Box[];
  /** The image inside each slot, centred, at the row's fitted size. */
  photo: Box;
  cells: Box[];
  /** Colour-bar strips under the map cells (empty when barHeight is 0). */
  bars: Box[];
}

export interface FigureLayout {
  width: number;
  height: number;
  /** Header of the photo column, then of each map column. */
  photoHeader: Box;
  headers: Box[];
  /** Group headers above the column headers (empty without groups). */
  groupHeaders: Box[];
  rows: FigureRow[];
  /** Shared colour bars under each map column (empty when footerHeight is 0). */
  footers: Box[];
}

export const MAX_ROW_ASPECT = 1.5;

/** The size a w × h photo takes in a column of `cellWidth`: the row height and the fitted image. */
export function fitCell(w: number, h: number, cellWidth: number): { rowHeight: number; width: number; height: number } {
  const rowHeight = Math.max(1, Math.min(Math.round(cellWidth * MAX_ROW_ASPECT), Math.round((cellWidth * h) / w)));
  const s = Math.min(cellWidth / w, rowHeight / h);
  return { rowHeight, width: Math.max(1, Math.round(w * s)), height: Math.max(1, Math.round(h * s)) };
}

export function figureLayout(spec: FigureLayoutSpec): FigureLayout {
  const { cellWidth: cw, gap, margin } = spec;
  const groups = spec.groups && spec.groups.length > 0 ? spec.groups : undefined;
  if (groups && groups.reduce((a, b) => a + b, 0) !== spec.columns) throw new Error('figure groups must cover every map column');
  const labelX = margin;
  const photoX = labelX + spec.rowLabelWidth + gap;
  const colX = (c: number) => photoX + (c + 1) * (cw + gap);
  const width = colX(spec.columns) - gap + margin;
  let y = margin;
  const groupHeaders: Box[] = [];
  if (groups) {
    let c = 0;
    for (const n of groups) {
      groupHeaders.push({ x: colX(c), y, width: n * (cw + gap) - gap, height: spec.headerHeight });
      c += n;
    }
    y += spec.headerHeight;
  }
  const photoHeader = { x: photoX, y, width: cw, height: spec.headerHeight };
  const headers = Array.from({ length: spec.columns }, (_, c) => ({ x: colX(c), y, width: cw, height: spec.headerHeight }));
  y += spec.headerHeight + gap;
  const rows = spec.photos.map((p) => {
    const fit = fitCell(p.width, p.height, cw);
    const slot = (x: number): Box => ({ x, y, width: cw, height: fit.rowHeight });
    const inner = (s: Box): Box => ({ x: s.x + Math.floor((cw - fit.width) / 2), y: s.y + Math.floor((fit.rowHeight - fit.height) / 2), width: fit.width, height: fit.height });
    const photoSlot = slot(photoX);
    const slots = Array.from({ length: spec.columns }, (_, c) => slot(colX(c)));
    const barY = y + fit.rowHeight;
    const row: FigureRow = {
      label: { x: labelX, y, width: spec.rowLabelWidth, height: fit.rowHeight + spec.barHeight },
      photoSlot, slots, photo: inner(photoSlot), cells: slots.map(inner),
      bars: spec.barHeight > 0 ? slots.map((s) => ({ x: s.x, y: barY, width: cw, height: spec.barHeight })) : [],
    };
    y += fit.rowHeight + spec.barHeight + gap;
    return row;
  });
  const footers = spec.footerHeight > 0 ? headers.map((h) => ({ x: h.x, y, width: cw, height: spec.footerHeight })) : [];
  if (spec.footerHeight > 0) y += spec.footerHeight + gap;
  return { width, height: y - gap + margin, photoHeader, headers, groupHeaders, rows, footers };
}

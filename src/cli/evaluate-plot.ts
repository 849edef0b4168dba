/**
 * The plot of `featurevis evaluate --merge … --plot summary.png|svg`: one panel per metric, a bar per method at its
 * mean with the 95 % CI as a whisker, a value axis with ticks, and which direction is better. Drawn as figure items
 * (figure-draw.ts), so the PNG (bitmap font) and the SVG share one layout.
 */
import { LINE_H, textWidth } from './bitmap-font';
import { INK, MUTED, type Figure, type Item, type Rgb } from './figure-draw';
import type { SummaryRow } from './evaluate-merge';

export interface MetricLook { title: string; better: string }

/** Tableau 10: distinct hues, one per method, the same in every panel. */
const PALETTE: Rgb[] = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189], [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]];
const GRID: Rgb = [225, 225, 225];

/** Ticks at 1, 2 or 5 × 10^k covering [lo, hi] with about four intervals. */
export function niceTicks(lo: number, hi: number): number[] {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((v) => v >= raw)!;
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  // Rounded to the step's decimals so labels read 0.2, not 0.20000000000000004.
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  return Array.from({ length: last - first + 1 }, (_, k) => Number(((first + k) * step).toFixed(digits)));
}

const tickLabel = (v: number, ticks: number[]) => {
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
  return Math.abs(v) >= 1e4 || (step < 1e-3 && v !== 0) ? v.toExponential(1) : v.toFixed(Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));
};

/** "guided-backprop" → ["guided-", "backprop"]: method ids break after hyphens. */
function labelLines(text: string, maxChars: number): string[] {
  const parts = text.split(/(?<=-)/);
  const lines: string[] = [];
  for (const p of parts) {
    if (lines.length && [...lines[lines.length - 1]].length + [...p].length <= maxChars) lines[lines.length - 1] += p;
    else lines.push(p);
  }
  return lines;
}

const valueText = (v: number) => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(1) : v.toFixed(3));

export function summaryPlot(rows: readonly SummaryRow[], look: (metric: string) => MetricLook, title: string, s = 2): Figure {
  const metrics = [...new Set(rows.map((r) => r.metric))];
  const several = new Set(rows.map((r) => r.model)).size > 1;
  const series = [...new Set(rows.map((r) => (several ? `${r.model}: ${r.method}` : r.method)))];
  const seriesOf = (r: SummaryRow) => (several ? `${r.model}: ${r.method}` : r.method);
  const labelChars = 10;
  const labels = series.map((m) => labelLines(m, labelChars));
  const labelRows = Math.max(...labels.map((l) => l.length));
  const slot = Math.max(...labels.flat().map((l) => textWidth(l, s)), textWidth('-0.000', s)) + 6 * s;
  const pad = 6 * s;
  const ticksOf = (metric: string) => {
    const span = rows.filter((r) => r.metric === metric).flatMap((r) => [r.ciLow, r.ciHigh, r.mean]).filter(Number.isFinite);
    return niceTicks(Math.min(0, ...span), Math.max(0, ...span));
  };
  const gutterChars = Math.max(...metrics.flatMap((m) => {
    const t = ticksOf(m);
    return t.map((v) => tickLabel(v, t).length);
  }));
  const gutter = textWidth('0'.repeat(gutterChars), s) + 4 * s;
  const plotW = series.length * slot;
  const plotH = 120 * s;
  // Wide enough for the axis caption and the headers too.
  const panelW = Math.max(pad + gutter + plotW + pad, ...metrics.map((m) => textWidth(look(m).title, s) + 2 * pad), textWidth('(no better direction)', s) + 2 * pad);
  const headH = 3 * LINE_H * s + 2 * s;
  const panelH = headH + LINE_H * s + 5 * s + plotH + 4 * s + (labelRows + 1) * LINE_H * s + pad;
  const cols = Math.min(3, metrics.length);
  const titleH = 2 * LINE_H * s + 2 * s;
  const width = Math.max(cols * panelW + 2 * pad, textWidth(title, s) + 6 * pad);
  const height = titleH + Math.ceil(metrics.length / cols) * panelH + pad;
  const items: Item[] = [];
  const text = (x: number, y: number, lines: string[], color: Rgb = INK, align: 'left' | 'center' = 'left') => items.push({ kind: 'text', x: Math.round(x), y: Math.round(y), lines, scale: s, color, align });
  const rect = (x: number, y: number, w: number, h: number, fill: Rgb) => items.push({ kind: 'rect', box: { x: Math.round(x), y: Math.round(y), width: Math.max(1, Math.round(w)), height: Math.max(1, Math.round(h)) }, fill });
  text(Math.floor(width / 2), pad, [title], INK, 'center');

  metrics.forEach((metric, k) => {
    const x0 = pad + (k % cols) * panelW;
    const y0 = titleH + Math.floor(k / cols) * panelH;
    const info = look(metric);
    const better = info.better === 'higher' ? 'higher is better' : info.better === 'lower' ? 'lower is better' : 'no better direction';
    const cx = x0 + Math.floor(panelW / 2);
    text(cx, y0 + s, [info.title], INK, 'center');
    text(cx, y0 + s + LINE_H * s, [`(${better})`], MUTED, 'center');
    const mine = rows.filter((r) => r.metric === metric);
    const ticks = ticksOf(metric);
    const lo = ticks[0];
    const hi = ticks[ticks.length - 1];
    // The plot centred in its panel (a long title can make the panel wider than the bars need).
    const px = x0 + pad + gutter + Math.floor((panelW - (2 * pad + gutter + plotW)) / 2);
    const py = y0 + headH + LINE_H * s + 5 * s;
    const yOf = (v: number) => py + plotH - ((v - lo) / (hi - lo)) * plotH;
    text(px - gutter, y0 + headH, ['mean, 95 % CI'], MUTED);
    for (const t of ticks) {
      const y = Math.round(yOf(t));
      rect(px, y, plotW, 1, t === 0 ? MUTED : GRID);
      const label = tickLabel(t, ticks);
      text(px - 3 * s - textWidth(label, s), y - Math.floor((7 * s) / 2), [label], INK);
    }
    rect(px - 1, py, 1, plotH + 1, INK);
    series.forEach((name, i) => {
      const sx = px + i * slot;
      const r = mine.find((row) => seriesOf(row) === name);
      labels[i].forEach((line, j) => text(sx + Math.floor(slot / 2), py + plotH + 2 * s + j * LINE_H * s, [line], INK, 'center'));
      if (!r || !Number.isFinite(r.mean)) {
        text(sx + Math.floor(slot / 2), yOf(0) - LINE_H * s, ['n/a'], MUTED, 'center');
        return;
      }
      const top = Math.min(yOf(r.mean), yOf(0));
      const barW = slot - 12 * s;
      rect(sx + 6 * s, top, barW, Math.max(1, Math.abs(yOf(r.mean) - yOf(0))), PALETTE[i % PALETTE.length]);
      let whiskerTop = yOf(r.mean);
      if (Number.isFinite(r.ciLow) && Number.isFinite(r.ciHigh)) {
        const wx = sx + Math.floor(slot / 2);
        whiskerTop = yOf(r.ciHigh);
        rect(wx - Math.floor(s / 2), whiskerTop, s, yOf(r.ciLow) - whiskerTop, INK);
        for (const v of [r.ciLow, r.ciHigh]) rect(wx - 4 * s, yOf(v) - Math.floor(s / 2), 8 * s, s, INK);
      }
      const labelY = Math.min(whiskerTop, top) - LINE_H * s - 2 * s;
      text(sx + Math.floor(slot / 2), Math.max(py - LINE_H * s + s, labelY), [valueText(r.mean)], INK, 'center');
    });
    text(px + Math.floor(plotW / 2), py + plotH + 4 * s + labelRows * LINE_H * s, ['method'], MUTED, 'center');
  });
  return { width, height, items };
}

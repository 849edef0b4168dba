/** A small SVG line chart for the Trust section (geometry in src/protocol/chart.ts), themed by VS Code's variables. */
import { boxScales, areaPath, linePath, niceTicks, type ChartBox } from '../src/protocol/chart';
import { formatValue } from '../src/protocol/colorbar';

const NS = 'http://www.w3.org/2000/svg';

function el(tag: string, attrs: Record<string, string | number> = {}, text?: string): SVGElement {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

export interface ChartSeries {
  label: string;
  x: readonly number[];
  y: readonly number[];
  /** CSS class: sets the stroke colour (main.css). */
  className: string;
  /** Shade the area under the curve (an AUC). */
  area?: boolean;
}

export interface ChartSpec {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  xDomain: readonly [number, number];
  yDomain: readonly [number, number];
  series: readonly ChartSeries[];
  /** Names of the points x = 0, 1, … (e.g. layer names), shown when hovering a point. */
  xNames?: readonly string[];
}

const BOX: ChartBox = { width: 360, height: 210, left: 44, right: 10, top: 32, bottom: 36 };

export function lineChart(spec: ChartSpec): SVGSVGElement {
  const svg = el('svg', { id: spec.id, class: 'chart', viewBox: `0 0 ${BOX.width} ${BOX.height}`, role: 'img', 'aria-label': spec.title }) as SVGSVGElement;
  const { sx, sy } = boxScales(BOX, spec.xDomain, spec.yDomain);
  const [x0, x1] = [BOX.left, BOX.width - BOX.right];
  const [y0, y1] = [BOX.height - BOX.bottom, BOX.top];
  svg.append(el('text', { x: BOX.left, y: 14, class: 'chart-title' }, spec.title));
  for (const t of niceTicks(spec.yDomain[0], spec.yDomain[1], 4)) {
    svg.append(el('line', { x1: x0, x2: x1, y1: sy(t), y2: sy(t), class: 'chart-grid' }));
    svg.append(el('text', { x: x0 - 4, y: sy(t) + 3, class: 'chart-tick', 'text-anchor': 'end' }, formatValue(t)));
  }
  // Whole-number axes (steps) get integer ticks only.
  const xTicks = niceTicks(spec.xDomain[0], spec.xDomain[1], 5).filter((t) => !spec.xNames || Number.isInteger(t));
  for (const t of xTicks) svg.append(el('text', { x: sx(t), y: y0 + 12, class: 'chart-tick', 'text-anchor': 'middle' }, formatValue(t)));
  svg.append(el('line', { x1: x0, x2: x1, y1: y0, y2: y0, class: 'chart-axis' }), el('line', { x1: x0, x2: x0, y1: y0, y2: y1, class: 'chart-axis' }));
  svg.append(el('text', { x: (x0 + x1) / 2, y: BOX.height - 6, class: 'chart-label', 'text-anchor': 'middle' }, spec.xLabel));
  svg.append(el('text', { x: 10, y: (y0 + y1) / 2, class: 'chart-label', 'text-anchor': 'middle', transform: `rotate(-90 10 ${(y0 + y1) / 2})` }, spec.yLabel));
  for (const s of spec.series) {
    if (s.area) svg.append(el('path', { d: areaPath(s.x, s.y, sx, sy, spec.yDomain[0]), class: `chart-area ${s.className}` }));
    const path = el('path', { d: linePath(s.x, s.y, sx, sy), class: `chart-line ${s.className}` });
    path.append(el('title', {}, s.label));
    svg.append(path);
    s.x.forEach((x, i) => {
      if (!Number.isFinite(s.y[i])) return;
      const dot = el('circle', { cx: sx(x), cy: sy(s.y[i]), r: 2.2, class: `chart-dot ${s.className}` });
      dot.append(el('title', {}, `${s.label}: ${spec.xNames?.[x] ?? formatValue(x)} → ${formatValue(s.y[i])}`));
      svg.append(dot);
    });
  }
  // The legend: a row under the title.
  let lx = BOX.left;
  for (const s of spec.series) {
    svg.append(el('text', { x: lx, y: 26, class: `chart-legend ${s.className}` }, `— ${s.label}`));
    lx += 12 + 5 * (s.label.length + 2);
  }
  return svg;
}

/**
 * The Trust section under the main map: on request, the deletion and insertion curves of the shown map with their
 * AUCs, and the cascading model-parameter randomisation strip (the map after each layer from the top is
 * randomised) with its similarity curve. Results stream in from the host; a new request or Cancel stops the
 * running one; any change of the map (method, parameters, target) clears what no longer belongs to it.
 */
import type { HostMessage, Slot, TrustMetric, WebviewMessage } from '../src/protocol/messages';
import { extent } from '../src/protocol/chart';
import { formatValue } from '../src/protocol/colorbar';
import type { MetricResult, TensorData } from '../src/protocol/types';
import { drawPixels } from './canvas';
import { h } from './dom';
import { vsButton } from './elements';
import { lineChart } from './svg';
import { shortLayer } from './layer-names';

/** Painted pixels (RGBA rows). */
export interface Pixels { width: number; height: number; data: Uint8Array | Uint8ClampedArray }

export interface TrustHost {
  send(m: WebviewMessage): void;
  nextSeq(): number;
  /** What the main map shows now (undefined while there is none); the Trust section scores exactly that. */
  current(): TrustSubject | undefined;
  /** The grid cells that show a map now, each as the run that made it. */
  gridCells(): TrustSubject[];
  /** Shows a cell's scores under it. */
  setCellTrust(slot: Slot, text: string): void;
  methodTitle(id: string): string;
  /** A randomised map (an (H, W) plane of |relevance|) painted like the main map, at the photo's size. */
  paintPlane(plane: TensorData): Pixels;
  /** The main map as painted now (the strip's first cell). */
  mainPixels(): Pixels | undefined;
}

type Msg<T extends HostMessage['type']> = Extract<HostMessage, { type: T }>;
type TrustSubject = Omit<Extract<WebviewMessage, { type: 'trust' }>, 'type' | 'seq' | 'metrics'>;
const FAITHFULNESS: TrustMetric[] = ['deletion', 'insertion'];

export class TrustSection {
  readonly element: HTMLElement;
  private readonly status = h('div', { id: 'trust-status', className: 'status', role: 'status' });
  private readonly curves = h('div', { id: 'trust-curves', className: 'trust-curves' });
  private readonly strip = h('div', { id: 'trust-strip', className: 'trust-strip' });
  private seq = -1;
  private readonly results = new Map<string, MetricResult>();
  /** Grid requests still answering: seq → the cell and its results so far. */
  private readonly cells = new Map<number, { slot: Slot; method: string; results: Map<string, MetricResult> }>();
  private about = '';

  constructor(private readonly host: TrustHost) {
    const row = h('div', { className: 'row' },
      vsButton('trust-faithfulness', 'Deletion & insertion', () => this.request(['deletion', 'insertion']),
        'remove (deletion) or reveal (insertion) the pixels this map ranks highest and plot the class probability'),
      vsButton('trust-randomisation', 'Randomisation test', () => this.request(['randomisation']),
        'Adebayo et al. 2018: randomise the weights layer by layer from the top; a faithful map should change', true),
      vsButton('trust-grid', 'Score the grid', () => this.scoreGrid(),
        "deletion and insertion AUCs of every map in the comparison grid, under each map", true),
      vsButton('trust-cancel', 'Cancel', () => this.cancel(), 'stop the running evaluation', true));
    this.element = h('section', { id: 'trust', className: 'trust', 'aria-label': 'Trust' },
      h('h3', {}, 'Trust'), h('p', { className: 'summary' }, 'Can this map be trusted? Faithfulness curves and a sanity check, computed on request.'),
      row, this.status, this.curves, this.strip);
  }

  /** The main map changed: earlier results describe another map. */
  invalidate(): void {
    if (this.seq >= 0 || this.cells.size) this.cancel();
    if (!this.results.size) return;
    this.results.clear();
    this.curves.textContent = '';
    this.strip.textContent = '';
    this.status.textContent = 'the map changed: ask again';
  }

  onMessage(m: HostMessage): boolean {
    if (m.type !== 'trustResult' && m.type !== 'trustDone' && m.type !== 'trustError') return false;
    const cell = this.cells.get(m.seq);
    if (cell) { this.onCell(m, cell); return true; }
    if (m.seq !== this.seq) return true;
    if (m.type === 'trustResult') this.onResult(m);
    else if (m.type === 'trustDone') this.onDone(m);
    else this.onError(m);
    return true;
  }

  private request(metrics: TrustMetric[]): void {
    const cur = this.host.current();
    if (!cur) { this.status.textContent = 'no map yet: wait for the main map'; return; }
    this.seq = this.host.nextSeq();
    this.about = this.host.methodTitle(cur.method);
    for (const id of metrics) this.results.delete(id);
    this.render();
    this.status.classList.add('busy');
    this.status.classList.remove('failed');
    this.status.textContent = `computing ${metrics.join(' and ')} for ${this.about}…`;
    this.host.send({ type: 'trust', seq: this.seq, metrics, ...cur });
  }

  /** Deletion and insertion for every grid cell, each its own request (slot), shown under its map. */
  private scoreGrid(): void {
    const cells = this.host.gridCells();
    if (!cells.length) { this.status.textContent = 'no grid maps yet: switch on the method grid or the model grid'; return; }
    for (const c of cells) {
      const seq = this.host.nextSeq();
      this.cells.set(seq, { slot: c.slot, method: c.method, results: new Map() });
      this.host.setCellTrust(c.slot, 'scoring…');
      this.host.send({ type: 'trust', seq, metrics: FAITHFULNESS, ...c });
    }
    this.status.textContent = `scoring ${cells.length} grid map${cells.length === 1 ? '' : 's'}…`;
  }

  private onCell(m: Msg<'trustResult'> | Msg<'trustDone'> | Msg<'trustError'>, cell: { slot: Slot; method: string; results: Map<string, MetricResult> }): void {
    if (m.type === 'trustResult') cell.results.set(m.result.metric, m.result);
    const del = cell.results.get('deletion'), ins = cell.results.get('insertion');
    const text = m.type === 'trustError' ? `trust: ${m.message}`
      : [del && `deletion ${formatValue(del.value)} ↓`, ins && `insertion ${formatValue(ins.value)} ↑`].filter(Boolean).join(' · ');
    this.host.setCellTrust(cell.slot, text || 'scoring…');
    if (m.type !== 'trustResult') {
      this.cells.delete(m.seq);
      if (!this.cells.size && this.seq < 0) this.status.textContent = 'grid scored: AUCs under each map (deletion: lower is better, insertion: higher)';
    }
  }

  private cancel(): void {
    this.host.send({ type: 'cancelTrust' });
    for (const c of this.cells.values()) this.host.setCellTrust(c.slot, '');
    this.cells.clear();
    this.seq = -1;
    this.status.classList.remove('busy');
    this.status.textContent = 'cancelled';
  }

  private onResult(m: Msg<'trustResult'>): void {
    this.results.set(m.result.metric, m.result);
    const steps = m.result.steps?.length;
    this.status.textContent = `${m.result.metric}${steps !== undefined ? `: ${steps} layer group${steps === 1 ? '' : 's'} randomised` : ' done'}…`;
    this.render();
  }

  private onDone(m: Msg<'trustDone'>): void {
    this.seq = -1;
    this.status.classList.remove('busy');
    this.status.textContent = `${this.about}: ${this.summary()} (${(m.ms / 1000).toFixed(1)} s)`;
  }

  private onError(m: Msg<'trustError'>): void {
    this.seq = -1;
    this.status.classList.remove('busy');
    this.status.classList.add('failed');
    this.status.textContent = `${m.code}: ${m.message}`;
  }

  private summary(): string {
    const parts: string[] = [];
    const del = this.results.get('deletion'), ins = this.results.get('insertion'), rnd = this.results.get('randomisation');
    if (del) parts.push(`deletion AUC ${formatValue(del.value)} (lower is better)`);
    if (ins) parts.push(`insertion AUC ${formatValue(ins.value)} (higher is better)`);
    if (rnd) parts.push(`mean rank correlation after randomisation ${formatValue(rnd.value)} (lower: the map depends on the weights)`);
    return parts.join(' · ');
  }

  private render(): void {
    this.renderCurves();
    this.renderStrip();
  }

  private renderCurves(): void {
    this.curves.textContent = '';
    const series = (['deletion', 'insertion'] as const).flatMap((id) => {
      const r = this.results.get(id);
      return r?.curve ? [{ label: `${id} AUC ${formatValue(r.value)}`, x: r.curve.x, y: r.curve.y, className: `series-${id}`, area: true }] : [];
    });
    if (!series.length) return;
    const first = this.results.get('deletion')?.curve ?? this.results.get('insertion')!.curve!;
    this.curves.append(lineChart({
      id: 'trust-curve-chart', title: `${this.about}: deletion and insertion`, xLabel: first.xLabel, yLabel: first.yLabel,
      xDomain: [0, 1], yDomain: extent(series.flatMap((s) => s.y), [0]), series,
    }));
  }

  private renderStrip(): void {
    this.strip.textContent = '';
    const r = this.results.get('randomisation');
    if (!r?.steps) return;
    const cells = h('div', { className: 'strip-cells' });
    const main = this.host.mainPixels();
    if (main) cells.append(stripCell(main, 'original', 'the map of the trained model'));
    for (const s of r.steps) {
      if (!s.map) continue;
      cells.append(stripCell(this.host.paintPlane(s.map), `↓ ${shortLayer(s.layer)}`, `randomised down to ${s.layer}: Spearman ${formatValue(s.spearman)}, SSIM ${formatValue(s.ssim)}`, `ρ ${formatValue(s.spearman)}`));
    }
    const names = ['original', ...r.steps.map((s) => `randomised down to ${s.layer}`)];
    const xs = names.map((_, i) => i);
    const sp = [1, ...r.steps.map((s) => s.spearman)];
    const ss = [1, ...r.steps.map((s) => s.ssim)];
    this.strip.append(cells, lineChart({
      id: 'trust-similarity-chart', title: 'similarity to the original map', xLabel: 'layer groups randomised, from the top', yLabel: 'similarity',
      xDomain: [0, Math.max(1, names.length - 1)], yDomain: extent([...sp, ...ss], [0, 1]), xNames: names,
      series: [{ label: 'Spearman', x: xs, y: sp, className: 'series-spearman' }, { label: 'SSIM', x: xs, y: ss, className: 'series-ssim' }],
    }));
  }
}

function stripCell(pixels: Pixels, caption: string, title: string, detail?: string): HTMLElement {
  const canvas = h('canvas', { className: 'strip-canvas', width: pixels.width, height: pixels.height });
  drawPixels(canvas, pixels);
  return h('figure', { className: 'strip-cell', title }, canvas, h('figcaption', {}, caption.length > 22 ? `…${caption.slice(-21)}` : caption, detail ? h('br') : null, detail));
}

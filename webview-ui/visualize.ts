/**
 * The Visualize panel's entry: restores the state, renders the layout, and reacts to state changes by re-running
 * or repainting. Runs go out per slot (main view, method-grid cells, model-grid cells); only the latest run of a
 * slot is shown.
 */
import { slotKey, type ChosenPaths, type HostMessage, type PanelState, type PanelTarget, type Slot } from '../src/protocol/messages';
import type { MethodInfo, TensorData } from '../src/protocol/types';
import type { View, ViewContext } from './api';
import { drawPainting } from './canvas';
import { control } from './controls';
import { Debouncer } from './debounce';
import { h } from './dom';
import { DenseView } from './mask';
import { paintResult } from './paint';
import { Store } from './store';
import { renderLayout, type Layout } from './visualize-layout';
import { initialSaved, paramsFor, type Saved } from './visualize-state';

type Shown = { relevance: TensorData; output: MethodInfo['output'] };
interface Cell { slot: Slot; canvas: HTMLCanvasElement; caption: HTMLElement; last?: Shown }

export function visualizeView(ctx: ViewContext, state: PanelState): View {
  return new Visualize(ctx, state);
}

class Visualize implements View {
  private readonly store: Store<Saved>;
  private readonly ui: Layout;
  private readonly dense?: DenseView;
  /** Per slot key: the latest run sent (older answers are dropped) and its method. */
  private readonly latest = new Map<string, { seq: number; method: string }>();
  private readonly cells = new Map<string, Cell>();
  private readonly paths: ChosenPaths;
  private readonly unsubscribe: () => void;
  /** Parameter edits (slider drags) are debounced. */
  private readonly edits = new Debouncer(60);
  /** Clears the status's 'failed' style. */
  private readonly failedStyle = new Debouncer(4000);
  private lastMain?: Shown;
  private renders = 0;
  private sentAt = 0;

  constructor(private readonly ctx: ViewContext, private readonly state: PanelState) {
    this.store = new Store(ctx.api, initialSaved(state, ctx.api.getState()));
    this.paths = Object.fromEntries(Object.entries(state.paths ?? {}).map(([k, v]) => [k, { ...v }]));
    if (state.mask) {
      this.dense = new DenseView(state.mask, state.preview, {
        region: this.store.state.region,
        onRegion: (r) => this.store.set({ region: r }),
        onPick: (c) => this.setTarget({ kind: 'class', index: c }),
      });
    }
    this.ui = renderLayout(ctx.app, state, this.store, this.dense, { setTarget: (t) => this.setTarget(t), exportPng: () => void this.export() });
    this.renderControls();
    this.showTarget();
    this.unsubscribe = this.store.subscribe((s, changed) => this.changed(s, changed));
    this.runMain();
    this.runGrids();
  }

  dispose(): void {
    this.edits.dispose();
    this.failedStyle.dispose();
    this.unsubscribe();
  }

  onMessage(m: HostMessage): void {
    switch (m.type) {
      case 'result': this.onResult(m); break;
      case 'partial': this.onPartial(m); break;
      case 'runError': this.onError(m); break;
      case 'setTarget': this.setTarget(m.target); break;
      case 'notice': { const n = document.getElementById('notice'); if (n) n.textContent = ` — ${m.message}`; break; }
      case 'pathChosen': {
        (this.paths[m.method] ??= {})[m.param] = m.path;
        // A chosen path is a parameter change: re-run as an edit does.
        if (m.method === this.store.state.method) { this.renderControls(); this.schedule(); }
        break;
      }
      default: break;
    }
  }

  /** State → what depends on it. */
  private changed(s: Readonly<Saved>, changed: ReadonlySet<keyof Saved>): void {
    if (changed.has('opacity')) this.ui.opacityLabel.textContent = s.opacity.toFixed(2);
    if (changed.has('opacity') || changed.has('cmap') || changed.has('reduction')) this.repaintAll();
    if (changed.has('method')) { this.renderControls(); this.runMain(); }
    if (changed.has('params')) this.schedule();
    if (changed.has('target') || changed.has('region')) { this.showTarget(); this.runMain(); this.runGrids(); }
    else if (changed.has('gridOn') || changed.has('modelGridOn')) {
      this.ui.gridToggle.checked = s.gridOn;
      this.ui.modelToggle.checked = s.modelGridOn;
      this.runGrids();
    } else if (changed.has('gridMethods') && s.gridOn) this.runGrids();
  }

  private method(id = this.store.state.method): MethodInfo | undefined { return this.state.methods.find((m) => m.id === id); }

  private renderControls(): void {
    const c = this.ui.controls;
    c.textContent = '';
    const m = this.method();
    if (!m) return;
    c.append(h('p', { className: 'summary' }, m.summary));
    const values = this.store.state.params[m.id] ?? {};
    for (const p of m.params) {
      c.append(control(p, values[p.name], {
        layers: this.state.layers,
        onChange: (v) => {
          const params = this.store.state.params;
          this.store.set({ params: { ...params, [m.id]: { ...params[m.id], [p.name]: v } } });
        },
        chosenPath: this.paths[m.id]?.[p.name],
        onPick: () => this.ctx.send({ type: 'pickPath', method: m.id, param: p.name }),
      }));
    }
  }

  /** A second `init` disposes this view, and with it a pending edit. */
  private schedule(): void {
    this.edits.schedule(() => {
      const s = this.store.state;
      this.runMain();
      if (s.gridOn && s.gridMethods.includes(s.method)) this.runCell({ kind: 'method', method: s.method }, s.method);
      if (s.modelGridOn) this.runGrids();
    });
  }

  private setTarget(t: PanelTarget): void { this.store.set({ target: t }); }

  private showTarget(): void {
    const { target: t, region: r } = this.store.state;
    const label = (i: number) => this.state.predictions.find((p) => p.index === i)?.label ?? `class ${i}`;
    const box = r ? ` in box ${r.y0},${r.x0}–${r.y1},${r.x1}` : '';
    this.ui.targetLabel.textContent = (t.kind === 'top' ? (this.dense ? 'predicted classes' : 'top class') : t.kind === 'class' ? `${label(t.index)} (#${t.index})` : `unit ${t.channel} of ${t.tensor}`) + box;
    this.dense?.select(t.kind === 'class' ? t.index : undefined);
    for (const li of document.querySelectorAll<HTMLElement>('.pred')) {
      li.classList.toggle('selected', t.kind === 'class' ? li.dataset.index === String(t.index) : t.kind === 'top' && li.classList.contains('top'));
    }
  }

  private send(slot: Slot, method: string, model?: string): void {
    const seq = this.ctx.nextSeq();
    this.latest.set(slotKey(slot), { seq, method });
    const s = this.store.state;
    this.ctx.send({ type: 'run', seq, slot, method, params: paramsFor(s, this.method(method)), target: s.target, model, region: s.region });
  }

  private runMain(): void {
    const { status } = this.ui;
    status.textContent = `running ${this.method()?.title ?? this.store.state.method}…`;
    status.classList.add('busy');
    this.sentAt = performance.now();
    this.send('main', this.store.state.method);
  }

  private runGrids(): void {
    for (const c of this.cells.values()) this.ctx.send({ type: 'cancel', slot: c.slot });
    this.cells.clear();
    const { grid } = this.ui;
    grid.textContent = '';
    const s = this.store.state;
    if (!s.gridOn && !s.modelGridOn) return;
    grid.append(h('h3', {}, s.gridOn ? 'Method grid — one colour scale per method' : `Model grid — ${this.method()?.title}`));
    const row = h('div', { className: 'cells' });
    grid.append(row);
    if (s.gridOn) for (const id of s.gridMethods) this.addCell(row, { kind: 'method', method: id }, this.method(id)?.title ?? id, id);
    else for (const m of this.state.models.slice(0, 8)) this.addCell(row, { kind: 'model', model: m.path }, m.name, s.method, m.path);
  }

  private addCell(row: HTMLElement, slot: Slot, title: string, method: string, model?: string): void {
    const canvas = h('canvas', { className: 'cell-canvas', width: this.state.preview.width, height: this.state.preview.height });
    const caption = h('div', { className: 'caption' }, 'running…');
    row.append(h('figure', { className: 'cell', 'data-slot': slotKey(slot) }, canvas, h('figcaption', {}, h('strong', {}, title), caption)));
    this.cells.set(slotKey(slot), { slot, canvas, caption });
    this.runCell(slot, method, model);
  }

  private runCell(slot: Slot, method: string, model?: string): void {
    const cell = this.cells.get(slotKey(slot));
    if (cell) cell.caption.textContent = 'running…';
    this.send(slot, method, model);
  }

  /** The run this answer belongs to, if it is still the latest of its slot. */
  private current(m: { seq: number; slot: Slot }): { seq: number; method: string } | undefined {
    const l = this.latest.get(slotKey(m.slot));
    return l?.seq === m.seq ? l : undefined;
  }

  private onResult(m: Extract<HostMessage, { type: 'result' }>): void {
    if (!this.current(m)) return;
    const info = `${m.ms} ms${Number.isFinite(m.targetValue) ? ` · target ${m.targetTensor} = ${m.targetValue.toFixed(3)}` : ''}${this.dense && m.targetDescription ? ` · ${m.targetDescription}` : ''}`;
    this.show(m.slot, { relevance: m.relevance, output: m.output }, info, true, m.ms);
  }

  /** A map while the run goes on, painted as the method paints its final one. */
  private onPartial(m: Extract<HostMessage, { type: 'partial' }>): void {
    const run = this.current(m);
    if (!run) return;
    const done = m.fraction !== undefined ? `, ${Math.round(m.fraction * 100)}%` : '';
    this.show(m.slot, { relevance: m.relevance, output: this.method(run.method)?.output ?? 'map' }, `${m.ms} ms (partial${done})`, false, m.ms);
  }

  private show(slot: Slot, shown: Shown, info: string, final: boolean, ms: number): void {
    if (slot === 'main') {
      const { mainCanvas, status } = this.ui;
      this.lastMain = shown;
      this.paint(mainCanvas, shown);
      status.classList.toggle('busy', !final);
      status.classList.remove('failed');
      this.failedStyle.dispose();
      status.textContent = info;
      this.renders++;
      mainCanvas.dataset.renders = String(this.renders);
      mainCanvas.dataset.method = this.store.state.method;
      if (final) this.ctx.send({ type: 'log', message: `render main ${this.store.state.method}: round trip ${(performance.now() - this.sentAt).toFixed(0)} ms (host ${ms} ms)` });
      return;
    }
    const cell = this.cells.get(slotKey(slot));
    if (!cell) return;
    cell.last = shown;
    this.paint(cell.canvas, shown);
    cell.caption.textContent = info;
    cell.canvas.dataset.rendered = '1';
  }

  private onError(m: Extract<HostMessage, { type: 'runError' }>): void {
    if (!this.current(m)) return;
    const text = `${m.code}: ${m.message}${m.working?.length ? ` — works here: ${m.working.join(', ')}` : ''}`;
    if (m.slot === 'main') {
      const { status } = this.ui;
      status.textContent = text;
      status.classList.remove('busy');
      status.classList.add('failed');
      this.failedStyle.schedule(() => status.classList.remove('failed'));
    } else {
      const c = this.cells.get(slotKey(m.slot));
      if (c) { c.caption.textContent = text; c.canvas.dataset.rendered = 'error'; }
    }
  }

  private repaintAll(): void {
    if (this.lastMain) this.paint(this.ui.mainCanvas, this.lastMain);
    for (const c of this.cells.values()) if (c.last) this.paint(c.canvas, c.last);
  }

  private paint(canvas: HTMLCanvasElement, r: Shown): void {
    const s = this.store.state;
    const p = paintResult(r.relevance, r.output, { reduction: s.reduction, cmap: s.cmap, opacity: s.opacity }, this.state.preview);
    drawPainting(canvas, p, this.state.preview);
    if (p.kind === 'image') return;
    this.dense?.decorate(canvas);
    canvas.dataset.scale = p.scale.toPrecision(3);
    canvas.title = `${p.cmap} colour map, scale ±${p.scale.toPrecision(3)} (99.5th percentile of |value|)`;
  }

  private async export(): Promise<void> {
    const canvases = [this.ui.mainCanvas, ...[...this.cells.values()].filter((c) => c.last).map((c) => c.canvas)];
    const w = this.state.preview.width, hgt = this.state.preview.height;
    const out = document.createElement('canvas');
    out.width = w * canvases.length;
    out.height = hgt;
    const ctx = out.getContext('2d')!;
    canvases.forEach((c, i) => ctx.drawImage(c, i * w, 0));
    const blob = await new Promise<Blob | null>((r) => out.toBlob(r, 'image/png'));
    if (!blob) return;
    const png = await blob.arrayBuffer();
    const base = this.state.imageName.replace(/\.[^.]+$/, '');
    this.ctx.send({ type: 'export', png, name: `${base}-${this.store.state.method}${canvases.length > 1 ? '-grid' : ''}.png` }, [png]);
  }
}

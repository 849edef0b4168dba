/**
 * The Visualize panel's entry: restores the state, renders the layout, and reacts to state changes by re-running
 * or repainting. Runs go out per slot (main view, method-grid cells, model-grid cells); only the latest run of a
 * slot is shown. Every map is painted through protocol/render.ts with its method's display options.
 */
import { slotKey, type ChosenPaths, type HostMessage, type PanelState, type PanelTarget, type Slot } from '../src/protocol/messages';
import type { DisplayOptions } from '../src/protocol/render';
import type { MethodInfo, TensorData } from '../src/protocol/types';
import type { View, ViewContext } from './api';
import { control } from './controls';
import { Debouncer } from './debounce';
import { displayControls, type DisplayControls } from './display-controls';
import { h } from './dom';
import { asNCHW } from './frame';
import { reduceChannels } from '../src/protocol/display';
import { Grid, type Shown } from './grid';
import { DenseView } from './mask';
import { colorbarFor, paintResult, valuePlane } from './paint';
import { Store } from './store';
import { TrustSection, type Pixels } from './trust';
import { renderLayout, type Layout } from './visualize-layout';
import { controlledParams, displayFor, initialSaved, innerMethod, paramsFor, type Saved, type StoredDisplay } from './visualize-state';

export function visualizeView(ctx: ViewContext, state: PanelState): View {
  return new Visualize(ctx, state);
}

class Visualize implements View {
  private readonly store: Store<Saved>;
  private readonly ui: Layout;
  private readonly dense?: DenseView;
  /** Per slot key: the latest run sent (older answers are dropped) and its method. */
  private readonly latest = new Map<string, { seq: number; method: string }>();
  private readonly grid: Grid;
  private readonly paths: ChosenPaths;
  private readonly unsubscribe: () => void;
  /** Parameter edits (slider drags) are debounced. */
  private readonly edits = new Debouncer(60);
  /** Clears the status's 'failed' style. */
  private readonly failedStyle = new Debouncer(4000);
  private lastMain?: Shown;
  /** The main map's last final result (what the Trust section scores). */
  private mainDone?: { method: string };
  private readonly trust: TrustSection;
  private displayUi?: DisplayControls;
  /** Display edits repaint once per animation frame (a dragged slider sends many). */
  private repaintQueued = false;
  private renders = 0;
  private sentAt = 0;

  constructor(private readonly ctx: ViewContext, private readonly state: PanelState) {
    this.store = new Store(ctx.api, initialSaved(state, ctx.api.getState()));
    this.paths = Object.fromEntries(Object.entries(state.paths ?? {}).map(([k, v]) => [k, { ...v }]));
    if (state.mask) {
      this.dense = new DenseView(state.mask, state.preview, state.frame, state.inputSize, {
        region: this.store.state.region,
        onRegion: (r) => this.store.set({ region: r }),
        onPick: (c) => this.setTarget({ kind: 'class', index: c }),
      });
    }
    this.ui = renderLayout(ctx.app, state, this.store, this.dense, { setTarget: (t) => this.setTarget(t), exportPng: () => void this.export() });
    this.grid = new Grid(this.ui.grid, {
      state, display: (m) => this.display(m), clip: () => this.display().clip, shared: () => this.store.state.sharedScale,
      decorate: this.dense ? (c, lw) => this.dense!.decorate(c, lw) : undefined,
    });
    this.trust = new TrustSection({
      send: (m) => ctx.send(m), nextSeq: () => ctx.nextSeq(),
      current: () => {
        if (!this.mainDone) return undefined;
        const s = this.store.state;
        return { slot: 'main' as const, method: this.mainDone.method, params: paramsFor(s, this.method(this.mainDone.method), (id) => this.method(id)), target: s.target, region: s.region };
      },
      gridCells: () => {
        const s = this.store.state;
        return this.grid.shownMaps().map(({ slot, method }) => ({ slot, method, params: paramsFor(s, this.method(method), (id) => this.method(id)), target: s.target, region: s.region }));
      },
      setCellTrust: (slot, text) => this.grid.setTrust(slot, text),
      methodTitle: (id) => this.method(id)?.title ?? id,
      paintPlane: (plane) => this.paintPlane(plane),
      mainPixels: () => {
        if (!this.lastMain) return undefined;
        // Σ_c |relevance|: what the randomisation test compares.
        const p = reduceChannels(this.lastMain.relevance, 'abs-sum');
        return this.paintPlane({ data: p.data, dims: [p.height, p.width] });
      },
    });
    this.ui.trust.append(this.trust.element);
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
    if (this.trust.onMessage(m)) return;
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
    if (changed.has('display')) { this.displayUi?.sync(this.display()); this.queueRepaint(); }
    if (changed.has('sharedScale')) this.grid.repaint();
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

  /** A method's display options: its defaults, the configured colour map, the user's choices. */
  private display(id = this.store.state.method): DisplayOptions {
    const m = this.method(id) ?? { id, family: 'deconvolution', output: 'input' };
    return displayFor(this.store.state, m, this.state.colorMap);
  }

  private setDisplay(patch: StoredDisplay): void {
    const { display, method } = this.store.state;
    this.store.set({ display: { ...display, [method]: { ...display[method], ...patch } } });
  }

  private renderControls(): void {
    const c = this.ui.controls;
    c.textContent = '';
    const m = this.method();
    this.ui.display.textContent = '';
    this.displayUi = undefined;
    if (!m) return;
    if (m.output !== 'image') {
      this.displayUi = displayControls(this.display(), this.store.state.display[m.id] ?? {}, (p) => this.setDisplay(p));
      this.ui.display.append(this.displayUi.element);
    } else this.ui.display.append(h('p', { className: 'summary' }, 'a reconstruction: shown as an image in the box the model sees'));
    c.append(h('p', { className: 'summary' }, m.summary));
    const values = this.store.state.params[m.id] ?? {};
    const lookup = (id: string) => this.method(id);
    const all = controlledParams(m, values, lookup);
    all.forEach((p, i) => {
      // A wrapper's inner-method parameters follow its own, under the inner method's summary.
      const inner = i === m.params.length ? innerMethod(m, values, lookup) : undefined;
      if (inner) c.append(h('p', { className: 'summary inner-params' }, `${inner.title}: ${inner.summary}`));
      c.append(control(p, values[p.name], {
        layers: this.state.layers,
        onChange: (v) => {
          const params = this.store.state.params;
          this.store.set({ params: { ...params, [m.id]: { ...params[m.id], [p.name]: v } } });
          // A wrapper's inner method changed: its parameters change with it.
          if (p.name === m.wraps) this.renderControls();
        },
        chosenPath: this.paths[m.id]?.[p.name],
        onPick: () => this.ctx.send({ type: 'pickPath', method: m.id, param: p.name }),
      }));
    });
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
    this.ctx.send({ type: 'run', seq, slot, method, params: paramsFor(s, this.method(method), (id) => this.method(id)), target: s.target, model, region: s.region });
  }

  private runMain(): void {
    const { status } = this.ui;
    status.textContent = `running ${this.method()?.title ?? this.store.state.method}…`;
    status.classList.add('busy');
    this.sentAt = performance.now();
    this.mainDone = undefined;
    this.trust.invalidate();
    this.send('main', this.store.state.method);
  }

  private runGrids(): void {
    this.trust.invalidate();
    for (const slot of this.grid.clear()) this.ctx.send({ type: 'cancel', slot });
    const s = this.store.state;
    if (!s.gridOn && !s.modelGridOn) return;
    if (s.gridOn) {
      this.grid.build('Method grid', s.gridMethods.map((id) => ({ slot: { kind: 'method', method: id }, title: this.method(id)?.title ?? id, method: id })));
      for (const id of s.gridMethods) this.runCell({ kind: 'method', method: id }, id);
    } else {
      const models = this.state.models.slice(0, 8);
      this.grid.build(`Model grid — ${this.method()?.title}`, models.map((m) => ({ slot: { kind: 'model', model: m.path }, title: m.name, method: s.method })));
      for (const m of models) this.runCell({ kind: 'model', model: m.path }, s.method, m.path);
    }
  }

  private runCell(slot: Slot, method: string, model?: string): void {
    this.grid.running(slot);
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
    this.show(m.slot, { relevance: m.relevance, output: m.output, method: this.current(m)!.method }, info, true, m.ms);
  }

  /** A map while the run goes on, painted as the method paints its final one. */
  private onPartial(m: Extract<HostMessage, { type: 'partial' }>): void {
    const run = this.current(m);
    if (!run) return;
    const done = m.fraction !== undefined ? `, ${Math.round(m.fraction * 100)}%` : '';
    this.show(m.slot, { relevance: m.relevance, output: this.method(run.method)?.output ?? 'map', method: run.method }, `${m.ms} ms (partial${done})`, false, m.ms);
  }

  private show(slot: Slot, shown: Shown, info: string, final: boolean, ms: number): void {
    if (slot !== 'main') { this.grid.result(slot, shown, info); return; }
    const { main, status } = this.ui;
    this.lastMain = { ...shown, relevance: asNCHW(shown.relevance, this.state.inputSize) };
    this.paintMain();
    status.classList.toggle('busy', !final);
    status.classList.remove('failed');
    this.failedStyle.dispose();
    status.textContent = info;
    this.renders++;
    main.canvas.dataset.renders = String(this.renders);
    main.canvas.dataset.method = shown.method;
    if (final) this.mainDone = { method: shown.method };
    if (final) this.ctx.send({ type: 'log', message: `render main ${shown.method}: round trip ${(performance.now() - this.sentAt).toFixed(0)} ms (host ${ms} ms)` });
  }

  private onError(m: Extract<HostMessage, { type: 'runError' }>): void {
    if (!this.current(m)) return;
    const text = `${m.code}: ${m.message}${m.working?.length ? ` — works here: ${m.working.join(', ')}` : ''}`;
    if (m.slot !== 'main') { this.grid.error(m.slot, text); return; }
    const { status } = this.ui;
    status.textContent = text;
    status.classList.remove('busy');
    status.classList.add('failed');
    this.failedStyle.schedule(() => status.classList.remove('failed'));
  }

  private queueRepaint(): void {
    if (this.repaintQueued) return;
    this.repaintQueued = true;
    requestAnimationFrame(() => {
      this.repaintQueued = false;
      this.paintMain();
      this.grid.repaint();
    });
  }

  /** The main map with the display of the method it came from. */
  private paintMain(): void {
    const r = this.lastMain;
    if (!r) return;
    const { preview, frame } = this.state;
    const d = this.display(r.method);
    const p = paintResult(r.relevance, r.output, d, preview, frame);
    const canvas = this.ui.main.canvas;
    this.ui.main.show(p, () => (p.kind === 'map' ? valuePlane(r.relevance, d.reduction, frame) : undefined), p.kind === 'map' ? colorbarFor(p.image, d, false) : undefined);
    canvas.dataset.mode = p.kind === 'map' ? d.mode : 'image';
    canvas.dataset.threshold = p.kind === 'map' ? String(p.image.threshold) : '';
    canvas.dataset.paints = String(Number(canvas.dataset.paints ?? 0) + 1);
  }

  /** An (H, W) plane of |relevance| (the randomisation strip) painted as a heatmap of the method's display. */
  private paintPlane(plane: TensorData): Pixels {
    const method = this.mainDone?.method ?? this.store.state.method;
    const d: DisplayOptions = { ...this.display(method), mode: 'heatmap', sign: 'absolute', threshold: undefined };
    const [H, W] = plane.dims.slice(-2);
    const p = paintResult({ data: plane.data, dims: [1, 1, H, W] }, 'map', d, this.state.preview, this.state.frame);
    return p.image;
  }

  /** The photo, the map and the grid's maps side by side, each scaled to the main view's height. */
  private async export(): Promise<void> {
    const { main } = this.ui;
    const canvases = [main.photoCanvas!, main.canvas, ...this.grid.canvases()];
    const hgt = this.state.preview.height;
    const widths = canvases.map((c) => Math.round((c.width * hgt) / c.height));
    const out = document.createElement('canvas');
    out.width = widths.reduce((a, b) => a + b, 0);
    out.height = hgt;
    const ctx = out.getContext('2d')!;
    let x = 0;
    canvases.forEach((c, i) => { ctx.drawImage(c, x, 0, widths[i], hgt); x += widths[i]; });
    const blob = await new Promise<Blob | null>((r) => out.toBlob(r, 'image/png'));
    if (!blob) return;
    const png = await blob.arrayBuffer();
    const base = this.state.imageName.replace(/\.[^.]+$/, '');
    this.ctx.send({ type: 'export', png, name: `${base}-${this.store.state.method}${canvases.length > 2 ? '-grid' : ''}.png` }, [png]);
  }
}


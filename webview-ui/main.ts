/**
 * FeatureVis webviews (one bundle): the Visualize panel, the .onnx editor and the filters view. The host says
 * which one in its `init` message; the webview asks for it with `ready` once it listens (no lost first message).
 * Runs in the browser: imports only src/protocol (pure TS) and the DOM.
 */
import { blend, colorize, reduceChannels, robustScale, type ColorMapName, type Reduction } from '../src/protocol/display';
import type { HostMessage, PanelState, PanelTarget, WebviewMessage } from '../src/protocol/messages';
import type { CheckReport, LayerInfo, MethodInfo, ModelSummary, ParamSpec, ParamValues, Region, TensorData } from '../src/protocol/types';
import { attachBoxDrag, DenseView } from './mask';
import './main.css';

interface VsCodeApi { postMessage(m: unknown, transfer?: Transferable[]): void; getState(): unknown; setState(s: unknown): void }
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();
const send = (m: WebviewMessage, transfer?: Transferable[]) => vscode.postMessage(m, transfer);

const app = document.getElementById('app')!;

function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> = {}, ...children: (Node | string | null | undefined)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
    else if (k === 'className') el.className = String(v);
    else if (k in el && k !== 'list') (el as unknown as Record<string, unknown>)[k] = v;
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

function showError(message: string): void {
  let bar = document.getElementById('error');
  if (!bar) { bar = h('div', { id: 'error', className: 'error', role: 'alert' }); document.body.prepend(bar); }
  bar.textContent = message;
  app.classList.remove('loading');
  if (app.textContent === 'Loading…') app.textContent = '';
}

// ------------------------------------------------------------------------------------------ visualize panel
interface Saved {
  method: string;
  params: Record<string, ParamValues>;
  opacity: number;
  cmap: 'auto' | ColorMapName;
  reduction: Reduction;
  target: PanelTarget;
  gridOn: boolean;
  gridMethods: string[];
  modelGridOn: boolean;
  /** Models with a spatial output: the dragged box the targets are restricted to. */
  region?: Region;
}

class Visualize {
  private saved: Saved;
  private seq = 0;
  private latest = new Map<string, number>();
  private timer?: number;
  private readonly methods: MethodInfo[];
  private readonly unavailable: Map<string, string>;
  private mainCanvas!: HTMLCanvasElement;
  private status!: HTMLElement;
  private controls!: HTMLElement;
  private grid!: HTMLElement;
  private targetLabel!: HTMLElement;
  private lastMain?: { relevance: TensorData; output: MethodInfo['output'] };
  private cells = new Map<string, { canvas: HTMLCanvasElement; caption: HTMLElement; last?: { relevance: TensorData; output: MethodInfo['output'] } }>();
  private renders = 0;
  private readonly dense?: DenseView;

  constructor(private readonly state: PanelState) {
    this.methods = state.methods;
    this.unavailable = new Map(state.unavailable.map((u) => [u.method, u.reason]));
    const available = this.methods.filter((m) => !this.unavailable.has(m.id)).map((m) => m.id);
    const prev = vscode.getState() as Partial<Saved> | undefined;
    const firstMethod = available.includes(state.defaultMethod) ? state.defaultMethod : available[0] ?? this.methods[0]?.id;
    this.saved = {
      method: prev?.method && this.methods.some((m) => m.id === prev.method) ? prev.method : firstMethod,
      params: prev?.params ?? {},
      opacity: prev?.opacity ?? 0.65,
      cmap: prev?.cmap ?? (['signed', 'heat', 'gray'].includes(state.colorMap) ? state.colorMap as ColorMapName : 'auto'),
      reduction: prev?.reduction ?? 'sum',
      target: state.target.kind !== 'top' ? state.target : prev?.target ?? { kind: 'top' },
      gridOn: prev?.gridOn ?? false,
      gridMethods: prev?.gridMethods ?? ['gradient', 'guided-backprop', 'lrp-epsilon', 'grad-cam'].filter((m) => available.includes(m)),
      modelGridOn: prev?.modelGridOn ?? false,
      region: state.mask ? prev?.region : undefined,
    };
    if (state.mask) {
      this.dense = new DenseView(state.mask, state.preview, {
        region: this.saved.region,
        onRegion: (r) => { this.saved.region = r; this.persist(); this.showTarget(); this.runMain(); this.runGrids(); },
        onPick: (c) => this.setTarget({ kind: 'class', index: c }),
      });
    }
    this.render();
    this.runMain();
    this.runGrids();
  }

  private persist(): void { vscode.setState(this.saved); }

  private method(id = this.saved.method): MethodInfo | undefined { return this.methods.find((m) => m.id === id); }

  private paramsFor(id: string): ParamValues {
    const m = this.method(id);
    const given = this.saved.params[id] ?? {};
    const out: ParamValues = {};
    for (const p of m?.params ?? []) {
      const v = given[p.name];
      if (v !== undefined && v !== '' && !(typeof v === 'number' && Number.isNaN(v))) out[p.name] = v;
    }
    return out;
  }

  private render(): void {
    const s = this.state;
    app.className = 'visualize';
    app.textContent = '';
    this.mainCanvas = h('canvas', { id: 'heatmap', className: 'heatmap', width: s.preview.width, height: s.preview.height, title: 'heatmap over the input as the model sees it' });
    if (this.dense) attachBoxDrag(this.mainCanvas, (r) => this.dense!.setRegion(r));
    this.status = h('div', { id: 'status', className: 'status' }, 'running…');
    this.controls = h('div', { id: 'params', className: 'params' });
    this.targetLabel = h('span', { id: 'target' });
    this.grid = h('div', { id: 'grid', className: 'grid' });

    const opacity = h('input', { type: 'range', id: 'opacity', min: '0', max: '1', step: '0.05', value: String(this.saved.opacity) });
    const opacityLabel = h('span', { className: 'value' }, this.saved.opacity.toFixed(2));
    opacity.addEventListener('input', () => { this.saved.opacity = Number(opacity.value); opacityLabel.textContent = this.saved.opacity.toFixed(2); this.persist(); this.repaintAll(); });
    const cmap = select('colormap', ['auto', 'signed', 'heat', 'gray'], this.saved.cmap, (v) => { this.saved.cmap = v as Saved['cmap']; this.persist(); this.repaintAll(); });
    const reduction = select('reduction', ['sum', 'abs-sum', 'max-abs'], this.saved.reduction, (v) => { this.saved.reduction = v as Reduction; this.persist(); this.repaintAll(); });
    const methodSelect = h('select', { id: 'method' });
    for (const m of this.methods) {
      const why = this.unavailable.get(m.id);
      methodSelect.append(h('option', { value: m.id, disabled: !!why, title: why ?? m.summary, selected: m.id === this.saved.method }, `${m.title}${why ? ' (unavailable)' : ''}`));
    }
    methodSelect.addEventListener('change', () => { this.saved.method = methodSelect.value; this.persist(); this.renderControls(); this.runMain(); });

    const preds = h('ol', { id: 'predictions', className: 'predictions' });
    preds.append(h('li', { className: 'pred top', onclick: () => this.setTarget({ kind: 'top' }) }, h('span', { className: 'label' }, s.mask ? "each pixel's predicted class" : 'top class (what the model predicts)')));
    for (const p of s.predictions) {
      // Spatial outputs list the classes present with their share of pixels.
      const share = p.fraction ?? p.probability;
      const pct = `${(share * 100).toFixed(1)}%${p.fraction !== undefined ? ' of pixels' : ''}`;
      const li = h('li', { className: 'pred', 'data-index': p.index, title: `class ${p.index} · ${p.fraction !== undefined ? 'mean ' : ''}logit ${p.logit.toFixed(2)} — click to explain this class`, onclick: () => this.setTarget({ kind: 'class', index: p.index }) },
        h('span', { className: 'bar', style: `width:${Math.max(1, share * 100)}%` }),
        h('span', { className: 'label' }, this.dense?.swatch(p.index), p.label ?? `class ${p.index}`), h('span', { className: 'prob' }, pct));
      preds.append(li);
    }
    const classInput = h('input', { type: 'number', id: 'class-index', min: '0', placeholder: 'class #', title: 'explain any class by index (failure analysis: why not the true class?)' });
    classInput.addEventListener('change', () => { const v = Number(classInput.value); if (Number.isInteger(v) && v >= 0) this.setTarget({ kind: 'class', index: v }); });

    const gridToggle = h('input', { type: 'checkbox', id: 'method-grid', checked: this.saved.gridOn });
    gridToggle.addEventListener('change', () => { this.saved.gridOn = gridToggle.checked; if (this.saved.gridOn) this.saved.modelGridOn = false; modelToggle.checked = this.saved.modelGridOn; this.persist(); this.runGrids(); });
    const gridMethods = h('div', { className: 'grid-methods' });
    for (const m of this.methods) {
      if (this.unavailable.has(m.id) || m.output === 'image') continue;
      const cb = h('input', { type: 'checkbox', value: m.id, checked: this.saved.gridMethods.includes(m.id) });
      cb.addEventListener('change', () => {
        this.saved.gridMethods = cb.checked ? [...this.saved.gridMethods, m.id] : this.saved.gridMethods.filter((x) => x !== m.id);
        this.persist();
        if (this.saved.gridOn) this.runGrids();
      });
      gridMethods.append(h('label', { className: 'check' }, cb, m.title));
    }
    const modelToggle = h('input', { type: 'checkbox', id: 'model-grid', checked: this.saved.modelGridOn, disabled: s.models.length < 2 });
    modelToggle.addEventListener('change', () => { this.saved.modelGridOn = modelToggle.checked; if (this.saved.modelGridOn) { this.saved.gridOn = false; gridToggle.checked = false; } this.persist(); this.runGrids(); });

    const exportButton = h('button', { id: 'export', onclick: () => void this.export() }, 'Export PNG');

    app.append(
      h('header', {}, h('strong', {}, s.imageName), ' · ', h('span', { id: 'model-name' }, s.modelName), h('span', { id: 'notice', className: 'notice' })),
      h('div', { className: 'main' },
        h('section', { className: 'view' }, h('div', { className: 'canvases' }, this.mainCanvas, this.dense?.element), this.status,
          h('div', { className: 'row' }, h('label', { htmlFor: 'opacity' }, 'Opacity'), opacity, opacityLabel),
          h('div', { className: 'row' }, h('label', {}, 'Colours'), cmap, h('label', {}, 'Channels'), reduction),
          h('div', { className: 'row' }, exportButton)),
        h('section', { className: 'side' },
          h('h3', {}, 'Predictions'), preds, h('div', { className: 'row' }, h('label', {}, 'Target:'), this.targetLabel, classInput),
          h('h3', {}, 'Method'), methodSelect, this.controls,
          h('h3', {}, 'Compare'),
          h('label', { className: 'check' }, gridToggle, 'Method grid'), gridMethods,
          h('label', { className: 'check', title: s.models.length < 2 ? 'needs more than one .onnx model in the workspace' : '' }, modelToggle, `Model grid (${s.models.length} model${s.models.length === 1 ? '' : 's'})`))),
      this.grid,
    );
    this.renderControls();
    this.showTarget();
  }

  private renderControls(): void {
    this.controls.textContent = '';
    const m = this.method();
    if (!m) return;
    this.controls.append(h('p', { className: 'summary' }, m.summary));
    const values = (this.saved.params[m.id] ??= {});
    for (const p of m.params) this.controls.append(control(p, values[p.name], this.state.layers, (v) => { values[p.name] = v; this.persist(); this.schedule(); }));
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = window.setTimeout(() => { this.runMain(); if (this.saved.gridOn && this.saved.gridMethods.includes(this.saved.method)) this.runCell(`grid:${this.saved.method}`, this.saved.method); if (this.saved.modelGridOn) this.runGrids(); }, 60);
  }

  private setTarget(t: PanelTarget): void {
    this.saved.target = t;
    this.persist();
    this.showTarget();
    this.runMain();
    this.runGrids();
  }

  applyTarget(t: PanelTarget): void { this.setTarget(t); }

  private showTarget(): void {
    const t = this.saved.target;
    const label = (i: number) => this.state.predictions.find((p) => p.index === i)?.label ?? `class ${i}`;
    const r = this.saved.region;
    const box = r ? ` in box ${r.y0},${r.x0}–${r.y1},${r.x1}` : '';
    this.targetLabel.textContent = (t.kind === 'top' ? (this.dense ? 'predicted classes' : 'top class') : t.kind === 'class' ? `${label(t.index)} (#${t.index})` : `unit ${t.channel} of ${t.tensor}`) + box;
    this.dense?.select(t.kind === 'class' ? t.index : undefined);
    for (const li of document.querySelectorAll<HTMLElement>('.pred')) {
      li.classList.toggle('selected', t.kind === 'class' ? li.dataset.index === String(t.index) : t.kind === 'top' && li.classList.contains('top'));
    }
  }

  private send(slot: string, method: string, model?: string): number {
    const seq = ++this.seq;
    this.latest.set(slot, seq);
    send({ type: 'run', seq, slot, method, params: this.paramsFor(method), target: this.saved.target, model, region: this.saved.region });
    return seq;
  }

  private runMain(): void {
    this.status.textContent = `running ${this.method()?.title ?? this.saved.method}…`;
    this.status.classList.add('busy');
    this.sentAt = performance.now();
    this.send('main', this.saved.method);
  }
  private sentAt = 0;

  private runGrids(): void {
    for (const slot of this.cells.keys()) send({ type: 'cancel', slot });
    this.cells.clear();
    this.grid.textContent = '';
    if (this.saved.gridOn) {
      this.grid.append(h('h3', {}, 'Method grid — one colour scale per method'));
      const row = h('div', { className: 'cells' });
      this.grid.append(row);
      for (const id of this.saved.gridMethods) this.addCell(row, `grid:${id}`, this.method(id)?.title ?? id, () => this.runCell(`grid:${id}`, id));
    } else if (this.saved.modelGridOn) {
      this.grid.append(h('h3', {}, `Model grid — ${this.method()?.title}`));
      const row = h('div', { className: 'cells' });
      this.grid.append(row);
      for (const m of this.state.models.slice(0, 8)) this.addCell(row, `model:${m.path}`, m.name, () => this.runCell(`model:${m.path}`, this.saved.method, m.path));
    }
  }

  private addCell(row: HTMLElement, slot: string, title: string, run: () => void): void {
    const canvas = h('canvas', { className: 'cell-canvas', width: this.state.preview.width, height: this.state.preview.height });
    const caption = h('div', { className: 'caption' }, 'running…');
    row.append(h('figure', { className: 'cell', 'data-slot': slot }, canvas, h('figcaption', {}, h('strong', {}, title), caption)));
    this.cells.set(slot, { canvas, caption });
    run();
  }

  private runCell(slot: string, method: string, model?: string): void {
    const cell = this.cells.get(slot);
    if (cell) cell.caption.textContent = 'running…';
    this.send(slot, method, model);
  }

  onResult(m: Extract<HostMessage, { type: 'result' }>): void {
    if (this.latest.get(m.slot) !== m.seq) return; // superseded
    const info = `${m.ms} ms${m.final ? '' : ' (partial)'}${Number.isFinite(m.targetValue) ? ` · target ${m.targetTensor} = ${m.targetValue.toFixed(3)}` : ''}${this.dense && m.targetDescription ? ` · ${m.targetDescription}` : ''}`;
    if (m.slot === 'main') {
      this.lastMain = { relevance: m.relevance, output: m.output };
      this.paint(this.mainCanvas, this.lastMain);
      this.status.classList.toggle('busy', !m.final);
      this.status.textContent = info;
      this.renders++;
      this.mainCanvas.dataset.renders = String(this.renders);
      this.mainCanvas.dataset.method = this.saved.method;
      if (m.final) send({ type: 'log', message: `render main ${this.saved.method}: round trip ${(performance.now() - this.sentAt).toFixed(0)} ms (host ${m.ms} ms)` });
      return;
    }
    const cell = this.cells.get(m.slot);
    if (!cell) return;
    cell.last = { relevance: m.relevance, output: m.output };
    this.paint(cell.canvas, cell.last);
    cell.caption.textContent = info;
    cell.canvas.dataset.rendered = '1';
  }

  onError(m: Extract<HostMessage, { type: 'runError' }>): void {
    if (this.latest.get(m.slot) !== m.seq) return;
    const text = `${m.code}: ${m.message}${m.working?.length ? ` — works here: ${m.working.join(', ')}` : ''}`;
    if (m.slot === 'main') { this.status.textContent = text; this.status.classList.remove('busy'); this.status.classList.add('failed'); setTimeout(() => this.status.classList.remove('failed'), 4000); }
    else { const c = this.cells.get(m.slot); if (c) { c.caption.textContent = text; c.canvas.dataset.rendered = 'error'; } }
  }

  notice(message: string): void {
    const n = document.getElementById('notice');
    if (n) n.textContent = ` — ${message}`;
  }

  private repaintAll(): void {
    if (this.lastMain) this.paint(this.mainCanvas, this.lastMain);
    for (const c of this.cells.values()) if (c.last) this.paint(c.canvas, c.last);
  }

  /** Reduces channels, scales robustly (one scale per map), colours and blends over the preview. */
  private paint(canvas: HTMLCanvasElement, r: { relevance: TensorData; output: MethodInfo['output'] }): void {
    const rel = r.relevance;
    if (r.output === 'image' && rel.dims.length === 4) return this.paintImage(canvas, rel);
    const reduced = rel.dims.length === 4 ? reduceChannels(rel, rel.dims[1] === 1 ? 'sum' : this.saved.reduction) : { data: rel.data, height: this.state.preview.height, width: this.state.preview.width };
    let min = Infinity;
    for (const v of reduced.data) if (v < min) min = v;
    const cmap: ColorMapName = this.saved.cmap !== 'auto' ? this.saved.cmap : (r.output === 'map' || this.saved.reduction !== 'sum' || min >= 0) ? 'heat' : 'signed';
    const scale = robustScale(reduced.data);
    const colours = colorize(reduced.data, scale, cmap);
    const pw = this.state.preview.width, ph = this.state.preview.height;
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    if (reduced.width === pw && reduced.height === ph) {
      const out = blend(this.state.preview.data, colours, this.saved.opacity);
      ctx.putImageData(new ImageData(out as unknown as Uint8ClampedArray<ArrayBuffer>, pw, ph), 0, 0);
    } else {
      ctx.putImageData(new ImageData(new Uint8ClampedArray(this.state.preview.data), pw, ph), 0, 0);
      const off = document.createElement('canvas');
      off.width = reduced.width; off.height = reduced.height;
      off.getContext('2d')!.putImageData(new ImageData(colours as unknown as Uint8ClampedArray<ArrayBuffer>, reduced.width, reduced.height), 0, 0);
      ctx.globalAlpha = this.saved.opacity;
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(off, 0, 0, pw, ph);
      ctx.globalAlpha = 1;
    }
    this.dense?.decorate(canvas);
    canvas.dataset.scale = scale.toPrecision(3);
    canvas.title = `${cmap} colour map, scale ±${scale.toPrecision(3)} (99.5th percentile of |value|)`;
  }

  /** Methods whose result is an image (reconstructions): min–max normalised RGB, no overlay. */
  private paintImage(canvas: HTMLCanvasElement, t: TensorData): void {
    const [, c, hh, ww] = t.dims;
    const plane = hh * ww;
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < c * plane; i++) { lo = Math.min(lo, t.data[i]); hi = Math.max(hi, t.data[i]); }
    const img = new ImageData(ww, hh);
    for (let i = 0; i < plane; i++) {
      for (let ch = 0; ch < 3; ch++) img.data[4 * i + ch] = Math.round(255 * (t.data[(c >= 3 ? ch : 0) * plane + i] - lo) / (hi - lo || 1));
      img.data[4 * i + 3] = 255;
    }
    const off = document.createElement('canvas');
    off.width = ww; off.height = hh;
    off.getContext('2d')!.putImageData(img, 0, 0);
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
  }

  private async export(): Promise<void> {
    const canvases = [this.mainCanvas, ...[...this.cells.values()].filter((c) => c.last).map((c) => c.canvas)];
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
    send({ type: 'export', png, name: `${base}-${this.saved.method}${canvases.length > 1 ? '-grid' : ''}.png` }, [png]);
  }
}

function select(id: string, options: string[], value: string, onChange: (v: string) => void): HTMLSelectElement {
  const s = h('select', { id });
  for (const o of options) s.append(h('option', { value: o, selected: o === value }, o));
  s.addEventListener('change', () => onChange(s.value));
  return s;
}

/** One control generated from a parameter's declared schema. */
function control(p: ParamSpec, current: unknown, layers: PanelState['layers'], onChange: (v: ParamValues[string]) => void): HTMLElement {
  const row = h('div', { className: 'row param', title: p.help ?? '' });
  const label = h('label', { htmlFor: `param-${p.name}` }, p.label);
  row.append(label);
  if (p.kind === 'number' && p.min !== undefined && p.max !== undefined) {
    const v0 = typeof current === 'number' ? current : p.default;
    const lo = p.log ? Math.log(Math.max(p.min, 1e-12)) : p.min;
    const hi = p.log ? Math.log(p.max) : p.max;
    const toPos = (v: number) => (p.log ? Math.log(Math.max(v, 1e-12)) : v);
    const fromPos = (x: number) => (p.log ? Math.exp(x) : x);
    const step = p.log ? (hi - lo) / 200 : p.step ?? (hi - lo) / 100;
    const input = h('input', { type: 'range', id: `param-${p.name}`, 'data-param': p.name, min: String(lo), max: String(hi), step: String(step), value: String(toPos(v0)) });
    const value = h('span', { className: 'value' }, fmt(v0));
    input.addEventListener('input', () => { const v = fromPos(Number(input.value)); value.textContent = fmt(v); onChange(v); });
    row.append(input, value);
  } else if (p.kind === 'number' || p.kind === 'integer') {
    const input = h('input', { type: 'number', id: `param-${p.name}`, 'data-param': p.name, placeholder: p.default === null || p.default === undefined ? 'auto' : String(p.default), value: typeof current === 'number' ? String(current) : '' });
    input.addEventListener('change', () => onChange(input.value === '' ? undefined : Number(input.value)));
    row.append(input);
  } else if (p.kind === 'choice') {
    row.append(select(`param-${p.name}`, p.choices, typeof current === 'string' ? current : p.default, (v) => onChange(v)));
  } else if (p.kind === 'boolean') {
    const cb = h('input', { type: 'checkbox', id: `param-${p.name}`, checked: typeof current === 'boolean' ? current : p.default });
    cb.addEventListener('change', () => onChange(cb.checked));
    row.append(cb);
  } else if (p.kind === 'layer') {
    const s = h('select', { id: `param-${p.name}` });
    s.append(h('option', { value: '' }, '(default)'));
    for (const l of layers) if (l.shape.length === 4) s.append(h('option', { value: l.tensor, selected: l.tensor === current }, `${l.tensor} · ${l.op} [${l.shape.join('×')}]`));
    s.addEventListener('change', () => onChange(s.value || undefined));
    row.append(s);
  } else {
    const input = h('input', { type: 'text', id: `param-${p.name}`, value: current !== undefined ? String(current) : String(p.default ?? '') });
    input.addEventListener('change', () => {
      const nums = input.value.split(/[ ,]+/).filter(Boolean).map(Number);
      onChange(p.kind === 'text' ? input.value : nums.every(Number.isFinite) ? nums : undefined);
    });
    row.append(input);
  }
  return row;
}

const fmt = (v: number) => (Math.abs(v) >= 0.01 && Math.abs(v) < 1000 ? v.toFixed(Math.abs(v) < 1 ? 3 : 2) : v.toExponential(1));

// ------------------------------------------------------------------------------------------ .onnx editor
function renderOnnx(summary: ModelSummary, layers: LayerInfo[], methods: MethodInfo[]): void {
  app.className = 'onnx';
  app.textContent = '';
  const dims = (d: (number | string | null)[]) => `[${d.map((x) => x ?? '?').join(' × ')}]`;
  const un = new Map(summary.unavailable.map((u) => [u.method, u.reason]));
  const hist = Object.entries(summary.opHistogram).sort((a, b) => b[1] - a[1]);
  app.append(
    h('h2', {}, summary.name),
    h('button', { id: 'visualize-sample', onclick: () => send({ type: 'visualizeSample' }) }, 'Visualize a sample image'),
    h('button', { id: 'check-model', title: 'compare the compiled backward passes with finite differences of this model', onclick: () => { setCheckText('Checking…'); send({ type: 'runCheck' }); } }, 'Check gradients'),
    h('div', { id: 'check-report', className: 'check-report' }),
    h('table', { className: 'kv' },
      ...[['File', summary.path], ['Producer', summary.producer || '—'], ['Opset', String(summary.opset)],
        ['Inputs', summary.inputs.map((i) => `${i.name} ${dims(i.dims)}`).join(', ')],
        ['Outputs', summary.outputs.map((o) => `${o.name} ${dims(o.dims)}`).join(', ')],
        ['Parameters', summary.parameterCount.toLocaleString('en-US')], ['Labels', summary.labels ? `${summary.labels.length} classes` : 'none (add a sidecar JSON)']]
        .map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v)))),
    h('h3', {}, 'Operators'),
    h('div', { className: 'ops' }, ...hist.map(([op, n]) => h('span', { className: 'op' }, `${op} × ${n}`))),
    h('h3', {}, 'Methods'),
    h('ul', { id: 'methods', className: 'methods' }, ...methods.map((m) => {
      const why = un.get(m.id);
      return h('li', { className: why ? 'unavailable' : 'available', title: m.summary }, why ? '✗ ' : '✓ ', h('strong', {}, m.title), why ? ` — ${why}` : '');
    })),
    h('h3', {}, `Layers (${layers.length})`),
    h('table', { id: 'layers', className: 'layers' },
      h('tr', {}, h('th', {}, '#'), h('th', {}, 'Output tensor'), h('th', {}, 'Op'), h('th', {}, 'Shape'), h('th', {}, 'Params')),
      ...layers.map((l, i) => h('tr', {}, h('td', {}, String(i)), h('td', {}, l.tensor), h('td', {}, l.op), h('td', {}, `[${l.shape.join('×')}]`), h('td', { className: 'num' }, l.params ? l.params.toLocaleString('en-US') : '')))),
  );
}

function setCheckText(text: string): void {
  const el = document.getElementById('check-report');
  if (el) el.textContent = text;
}

/** The check's verdict: whole-model agreement, suspicious ops, and one line per method. */
function renderCheck(r: CheckReport): void {
  const el = document.getElementById('check-report');
  if (!el) return;
  el.textContent = '';
  const g = r.gradient;
  const bad = r.ops.filter((o) => !o.ok);
  el.append(
    h('p', { className: r.ok ? 'available' : 'unavailable' }, r.ok ? '✓ The compiled graphs agree with the model.' : '✗ Problems found.'),
    h('p', {}, 'error' in g ? `Whole-model gradient: ${g.error}`
      : `Whole-model gradient vs finite differences: median relative error ${g.medianRelError.toExponential(1)} (tolerance ${g.tolerance}) — ${g.ok ? 'agrees' : 'disagrees'}`),
    h('p', {}, `Per-node checks: ${r.ops.length} configurations, ${bad.length} disagree`),
    ...bad.map((o) => h('p', { className: 'unavailable' }, `Suspicious: ${o.op} '${o.node}' — ${o.error ?? `relative error ${o.relError?.toExponential(1)}`}`)),
    h('ul', { className: 'methods' }, ...r.methods.map((m) => h('li', { className: m.status === 'agrees' || m.status === 'rules-verified' ? 'available' : 'unavailable' }, h('strong', {}, m.method), ` ${m.status} — ${m.detail}`))),
  );
}

// ------------------------------------------------------------------------------------------ filters
function renderFilters(f: { tensor: string; dims: number[]; data: Float32Array }): void {
  app.className = 'filters';
  app.textContent = '';
  const [out, inC, kh, kw] = f.dims;
  app.append(h('h2', {}, `First-layer filters of ${f.tensor}: ${out} × ${inC} × ${kh} × ${kw}`), h('p', {}, 'Each filter scaled to its own ±max; grey = 0.'));
  const wrap = h('div', { className: 'filter-grid' });
  const per = inC * kh * kw;
  for (let o = 0; o < out; o++) {
    const w = f.data.subarray(o * per, (o + 1) * per);
    let max = 1e-12;
    for (const v of w) max = Math.max(max, Math.abs(v));
    const c = h('canvas', { className: 'filter', width: kw, height: kh, title: `filter ${o}` });
    const img = new ImageData(kw, kh);
    for (let i = 0; i < kh * kw; i++) {
      for (let ch = 0; ch < 3; ch++) {
        const v = w[(inC === 3 ? ch : 0) * kh * kw + i] / max;
        img.data[4 * i + ch] = Math.round(127.5 + 127.5 * v);
      }
      img.data[4 * i + 3] = 255;
    }
    c.getContext('2d')!.putImageData(img, 0, 0);
    wrap.append(c);
  }
  app.append(wrap);
}

// ------------------------------------------------------------------------------------------ decoding
async function decode(bytes: ArrayBuffer, name: string): Promise<void> {
  try {
    const bitmap = await createImageBitmap(new Blob([bytes]));
    const scale = Math.min(1, 2048 / Math.max(bitmap.width, bitmap.height));
    const w = Math.max(1, Math.round(bitmap.width * scale)), hh = Math.max(1, Math.round(bitmap.height * scale));
    const c = document.createElement('canvas');
    c.width = w; c.height = hh;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0, w, hh);
    const data = ctx.getImageData(0, 0, w, hh).data;
    const buf = data.buffer.slice(0) as ArrayBuffer;
    send({ type: 'decoded', width: w, height: hh, data: buf }, [buf]);
  } catch (e) {
    send({ type: 'decodeFailed', message: `the browser could not decode ${name} (${(e as Error).message || 'unknown format'})` });
  }
}

// ------------------------------------------------------------------------------------------ dispatch
let visualize: Visualize | undefined;
window.addEventListener('message', (ev: MessageEvent) => {
  const m = ev.data as HostMessage;
  if (!m || typeof m !== 'object') return;
  try {
    switch (m.type) {
      case 'init':
        document.getElementById('error')?.remove();
        if (m.view === 'visualize') visualize = new Visualize(m.state);
        else if (m.view === 'onnx') renderOnnx(m.summary, m.layers, m.methods);
        else renderFilters(m.filters);
        break;
      case 'result': visualize?.onResult(m); break;
      case 'runError': visualize?.onError(m); break;
      case 'setTarget': visualize?.applyTarget(m.target); break;
      case 'notice': visualize?.notice(m.message); break;
      case 'decode': void decode(m.bytes, m.name); break;
      case 'checkProgress': setCheckText(`Checking… ${m.message}`); break;
      case 'checkResult': renderCheck(m.report); break;
      case 'checkError': setCheckText(`Check failed: ${m.message}`); break;
      case 'error': showError(m.message); break;
    }
  } catch (e) {
    send({ type: 'log', message: `webview error: ${(e as Error).stack ?? e}` });
    showError(String((e as Error).message ?? e));
  }
});
send({ type: 'ready' });

/**
 * The Visualize panel's DOM: the photo and its map side by side (colour bar, hover value), status, display
 * controls, predictions and target, method and its controls, comparison grids. Inputs only write to the store;
 * visualize.ts reacts to the changes.
 */
import type { PanelState, PanelTarget } from '../src/protocol/messages';
import { h } from './dom';
import { vsButton, vsCheckbox, vsSelect, vsTextfield, type Checkbox } from './elements';
import { MapView } from './map-view';
import type { DenseView } from './mask';
import type { Store } from './store';
import type { Saved } from './visualize-state';

export interface Layout {
  main: MapView;
  status: HTMLElement;
  /** The current method's display controls. */
  display: HTMLElement;
  /** The current method's summary and parameter controls. */
  controls: HTMLElement;
  grid: HTMLElement;
  /** Where the Trust section goes: under the main map. */
  trust: HTMLElement;
  targetLabel: HTMLElement;
  gridToggle: Checkbox;
  modelToggle: Checkbox;
}

export interface LayoutActions {
  setTarget(t: PanelTarget): void;
  exportPng(): void;
}

/** Click or Enter / Space: list items that act as buttons stay keyboard-operable. */
function activate(el: HTMLElement, run: () => void): HTMLElement {
  el.tabIndex = 0;
  el.setAttribute('role', 'button');
  el.addEventListener('click', run);
  el.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); run(); } });
  return el;
}

export function renderLayout(app: HTMLElement, s: PanelState, store: Store<Saved>, dense: DenseView | undefined, act: LayoutActions): Layout {
  const saved = store.state;
  const unavailable = new Map(s.unavailable.map((u) => [u.method, u.reason]));
  app.className = 'visualize';
  app.textContent = '';
  const main = new MapView({
    photo: s.preview, frame: s.frame, withPhoto: true, decorate: dense ? (ctx, lw) => dense.decorate(ctx, lw) : undefined,
    ids: { map: 'heatmap', photo: 'photo', readout: 'readout', colorbar: 'colorbar' },
  });
  const status = h('div', { id: 'status', className: 'status', role: 'status' }, 'running…');
  const controls = h('div', { id: 'params', className: 'params' });
  const display = h('div', { className: 'display' });
  const targetLabel = h('span', { id: 'target' });
  const grid = h('div', { id: 'grid', className: 'grid' });
  const trust = h('div', { className: 'trust-slot' });

  const methodSelect = vsSelect('method', 'Method', s.methods.map((m) => {
    const why = unavailable.get(m.id);
    return { value: m.id, label: `${m.title}${why ? ' (unavailable)' : ''}`, disabled: !!why, description: why ?? m.summary };
  }), saved.method, (v) => store.set({ method: v }));

  const preds = h('ol', { id: 'predictions', className: 'predictions', 'aria-label': 'Predictions: choose the class to explain' });
  preds.append(activate(h('li', { className: 'pred top' }, h('span', { className: 'label' }, s.mask ? "each pixel's predicted class" : 'top class (what the model predicts)')), () => act.setTarget({ kind: 'top' })));
  for (const p of s.predictions) {
    // Spatial outputs list the classes present with their share of pixels.
    const share = p.fraction ?? p.probability;
    const pct = `${(share * 100).toFixed(1)}%${p.fraction !== undefined ? ' of pixels' : ''}`;
    const bar = h('span', { className: 'bar' });
    bar.style.width = `${Math.max(1, share * 100)}%`;
    preds.append(activate(h('li', { className: 'pred', 'data-index': p.index, title: `class ${p.index} · ${p.fraction !== undefined ? 'mean ' : ''}logit ${p.logit.toFixed(2)} — click to explain this class` },
      bar, h('span', { className: 'label' }, dense?.swatch(p.index), p.label ?? `class ${p.index}`), h('span', { className: 'prob' }, pct)), () => act.setTarget({ kind: 'class', index: p.index })));
  }
  const classInput = vsTextfield('class-index', 'Explain class number', '', (v) => { const n = Number(v); if (v !== '' && Number.isInteger(n) && n >= 0) act.setTarget({ kind: 'class', index: n }); }, { type: 'number', placeholder: 'class #' });
  classInput.title = 'explain any class by index (failure analysis: why not the true class?)';

  // The two grids exclude each other.
  const gridToggle = vsCheckbox('method-grid', 'Method grid', saved.gridOn, (on) => store.set({ gridOn: on, modelGridOn: on ? false : store.state.modelGridOn }));
  const gridMethods = h('div', { className: 'grid-methods', role: 'group', 'aria-label': 'Methods in the grid' });
  for (const m of s.methods) {
    if (unavailable.has(m.id) || m.output === 'image') continue;
    gridMethods.append(vsCheckbox(`grid-${m.id}`, m.title, saved.gridMethods.includes(m.id), (on) => {
      const now = store.state.gridMethods;
      store.set({ gridMethods: on ? [...now, m.id] : now.filter((x) => x !== m.id) });
    }));
  }
  const modelToggle = vsCheckbox('model-grid', `Model grid (${s.models.length} model${s.models.length === 1 ? '' : 's'})`, saved.modelGridOn,
    (on) => store.set({ modelGridOn: on, gridOn: on ? false : store.state.gridOn }), s.models.length < 2);
  if (s.models.length < 2) modelToggle.title = 'needs more than one .onnx model in the workspace';
  const shared = vsCheckbox('shared-scale', 'One shared scale (else one scale per map)', saved.sharedScale, (on) => store.set({ sharedScale: on }));
  shared.title = "grids: one saturation value for every map (the paper's comparisons) or each map on its own scale";

  app.append(
    h('header', {}, h('strong', {}, s.imageName), ' · ', h('span', { id: 'model-name' }, s.modelName),
      h('span', { className: 'dims' }, ` · ${s.preview.width}×${s.preview.height} shown, model input ${s.inputSize.width}×${s.inputSize.height}`), h('span', { id: 'notice', className: 'notice' })),
    h('div', { className: 'main' },
      h('section', { className: 'view', 'aria-label': 'Map' }, h('div', { className: 'canvases' }, main.element, dense?.element), status,
        h('h3', {}, 'Display'), display,
        h('div', { className: 'row' }, vsButton('reset-view', 'Reset zoom', () => main.resetView(), 'show the whole image again (or double-click the map)', true), vsButton('export', 'Export PNG', () => act.exportPng())), trust),
      h('section', { className: 'side' },
        h('h3', {}, 'Predictions'), preds, h('div', { className: 'row' }, h('label', { htmlFor: 'class-index' }, 'Target:'), targetLabel, classInput),
        h('h3', {}, h('label', { htmlFor: 'method' }, 'Method')), methodSelect, controls,
        h('h3', {}, 'Compare'), gridToggle, gridMethods, modelToggle, shared)),
    grid,
  );
  return { main, status, display, controls, grid, trust, targetLabel, gridToggle, modelToggle };
}

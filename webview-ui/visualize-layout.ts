/**
 * The Visualize panel's DOM: heatmap and status, display settings, predictions and target, method and its
 * controls, comparison grids. Inputs only write to the store; visualize.ts reacts to the changes.
 */
import { REDUCTIONS, type Reduction } from '../src/protocol/display';
import type { PanelState, PanelTarget } from '../src/protocol/messages';
import { h, select } from './dom';
import type { DenseView } from './mask';
import { attachBoxDrag } from './mask';
import { COLOR_MAP_CHOICES, type ColorMapChoice } from './paint';
import type { Store } from './store';
import type { Saved } from './visualize-state';

export interface Layout {
  mainCanvas: HTMLCanvasElement;
  status: HTMLElement;
  /** The current method's summary and parameter controls. */
  controls: HTMLElement;
  grid: HTMLElement;
  targetLabel: HTMLElement;
  opacityLabel: HTMLElement;
  gridToggle: HTMLInputElement;
  modelToggle: HTMLInputElement;
}

export interface LayoutActions {
  setTarget(t: PanelTarget): void;
  exportPng(): void;
}

export function renderLayout(app: HTMLElement, s: PanelState, store: Store<Saved>, dense: DenseView | undefined, act: LayoutActions): Layout {
  const saved = store.state;
  const unavailable = new Map(s.unavailable.map((u) => [u.method, u.reason]));
  app.className = 'visualize';
  app.textContent = '';
  const mainCanvas = h('canvas', { id: 'heatmap', className: 'heatmap', width: s.preview.width, height: s.preview.height, title: 'heatmap over the input as the model sees it' });
  if (dense) attachBoxDrag(mainCanvas, (r) => dense.setRegion(r));
  const status = h('div', { id: 'status', className: 'status' }, 'running…');
  const controls = h('div', { id: 'params', className: 'params' });
  const targetLabel = h('span', { id: 'target' });
  const grid = h('div', { id: 'grid', className: 'grid' });

  const opacity = h('input', { type: 'range', id: 'opacity', min: '0', max: '1', step: '0.05', value: String(saved.opacity) });
  const opacityLabel = h('span', { className: 'value' }, saved.opacity.toFixed(2));
  opacity.addEventListener('input', () => store.set({ opacity: Number(opacity.value) }));
  const cmap = select('colormap', COLOR_MAP_CHOICES, saved.cmap, (v) => store.set({ cmap: v as ColorMapChoice }));
  const reduction = select('reduction', REDUCTIONS, saved.reduction, (v) => store.set({ reduction: v as Reduction }));
  const methodSelect = h('select', { id: 'method' });
  for (const m of s.methods) {
    const why = unavailable.get(m.id);
    methodSelect.append(h('option', { value: m.id, disabled: !!why, title: why ?? m.summary, selected: m.id === saved.method }, `${m.title}${why ? ' (unavailable)' : ''}`));
  }
  methodSelect.addEventListener('change', () => store.set({ method: methodSelect.value }));

  const preds = h('ol', { id: 'predictions', className: 'predictions' });
  preds.append(h('li', { className: 'pred top', onclick: () => act.setTarget({ kind: 'top' }) }, h('span', { className: 'label' }, s.mask ? "each pixel's predicted class" : 'top class (what the model predicts)')));
  for (const p of s.predictions) {
    // Spatial outputs list the classes present with their share of pixels.
    const share = p.fraction ?? p.probability;
    const pct = `${(share * 100).toFixed(1)}%${p.fraction !== undefined ? ' of pixels' : ''}`;
    preds.append(h('li', { className: 'pred', 'data-index': p.index, title: `class ${p.index} · ${p.fraction !== undefined ? 'mean ' : ''}logit ${p.logit.toFixed(2)} — click to explain this class`, onclick: () => act.setTarget({ kind: 'class', index: p.index }) },
      h('span', { className: 'bar', style: `width:${Math.max(1, share * 100)}%` }),
      h('span', { className: 'label' }, dense?.swatch(p.index), p.label ?? `class ${p.index}`), h('span', { className: 'prob' }, pct)));
  }
  const classInput = h('input', { type: 'number', id: 'class-index', min: '0', placeholder: 'class #', title: 'explain any class by index (failure analysis: why not the true class?)' });
  classInput.addEventListener('change', () => { const v = Number(classInput.value); if (Number.isInteger(v) && v >= 0) act.setTarget({ kind: 'class', index: v }); });

  // The two grids exclude each other.
  const gridToggle = h('input', { type: 'checkbox', id: 'method-grid', checked: saved.gridOn });
  gridToggle.addEventListener('change', () => store.set({ gridOn: gridToggle.checked, modelGridOn: gridToggle.checked ? false : store.state.modelGridOn }));
  const gridMethods = h('div', { className: 'grid-methods' });
  for (const m of s.methods) {
    if (unavailable.has(m.id) || m.output === 'image') continue;
    const cb = h('input', { type: 'checkbox', value: m.id, checked: saved.gridMethods.includes(m.id) });
    cb.addEventListener('change', () => {
      const now = store.state.gridMethods;
      store.set({ gridMethods: cb.checked ? [...now, m.id] : now.filter((x) => x !== m.id) });
    });
    gridMethods.append(h('label', { className: 'check' }, cb, m.title));
  }
  const modelToggle = h('input', { type: 'checkbox', id: 'model-grid', checked: saved.modelGridOn, disabled: s.models.length < 2 });
  modelToggle.addEventListener('change', () => store.set({ modelGridOn: modelToggle.checked, gridOn: modelToggle.checked ? false : store.state.gridOn }));

  const exportButton = h('button', { id: 'export', onclick: () => act.exportPng() }, 'Export PNG');

  app.append(
    h('header', {}, h('strong', {}, s.imageName), ' · ', h('span', { id: 'model-name' }, s.modelName), h('span', { id: 'notice', className: 'notice' })),
    h('div', { className: 'main' },
      h('section', { className: 'view' }, h('div', { className: 'canvases' }, mainCanvas, dense?.element), status,
        h('div', { className: 'row' }, h('label', { htmlFor: 'opacity' }, 'Opacity'), opacity, opacityLabel),
        h('div', { className: 'row' }, h('label', {}, 'Colours'), cmap, h('label', {}, 'Channels'), reduction),
        h('div', { className: 'row' }, exportButton)),
      h('section', { className: 'side' },
        h('h3', {}, 'Predictions'), preds, h('div', { className: 'row' }, h('label', {}, 'Target:'), targetLabel, classInput),
        h('h3', {}, 'Method'), methodSelect, controls,
        h('h3', {}, 'Compare'),
        h('label', { className: 'check' }, gridToggle, 'Method grid'), gridMethods,
        h('label', { className: 'check', title: s.models.length < 2 ? 'needs more than one .onnx model in the workspace' : '' }, modelToggle, `Model grid (${s.models.length} model${s.models.length === 1 ? '' : 's'})`))),
    grid,
  );
  return { mainCanvas, status, controls, grid, targetLabel, opacityLabel, gridToggle, modelToggle };
}

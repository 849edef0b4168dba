// The webview's state: the store (persist, then notify with the changed keys), the Visualize panel's restored
// state and run parameters, and the debouncer a view disposes on the next `init`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../../webview-ui/store';
import { Debouncer } from '../../webview-ui/debounce';
import { controlledParams, displayFor, initialSaved, innerMethod, paramsFor, sanitizeDisplay } from '../../webview-ui/visualize-state';
import type { PanelState } from '../../src/protocol/messages';
import type { MethodInfo } from '../../src/protocol/types';

const storage = () => {
  const saved: unknown[] = [];
  return { saved, setState: (s: unknown) => saved.push(structuredClone(s)) };
};

test('store: persists the initial state and every change, then notifies with only the changed keys', () => {
  const st = storage();
  const store = new Store(st, { a: 1, b: 'x', list: [1] });
  assert.deepEqual(st.saved, [{ a: 1, b: 'x', list: [1] }]);
  const calls: [unknown, string[]][] = [];
  const off = store.subscribe((s, changed) => calls.push([structuredClone(s), [...changed].map(String)]));
  store.set({ a: 2, b: 'x' });
  assert.deepEqual(calls, [[{ a: 2, b: 'x', list: [1] }, ['a']]]);
  assert.deepEqual(st.saved.at(-1), { a: 2, b: 'x', list: [1] }, 'persisted before the listeners ran');
  store.set({ a: 2 });
  assert.equal(calls.length, 1, 'no change: no render');
  assert.equal(st.saved.length, 2, 'no change: nothing persisted');
  store.set({ list: [...store.state.list, 2] });
  assert.deepEqual(calls[1][1], ['list']);
  off();
  store.set({ a: 3 });
  assert.equal(calls.length, 2, 'unsubscribed');
  assert.equal(store.state.a, 3);
});

test('debouncer: the last call wins, and dispose cancels a pending one', async () => {
  const d = new Debouncer(10);
  const ran: number[] = [];
  d.schedule(() => ran.push(1));
  d.schedule(() => ran.push(2));
  await new Promise((r) => setTimeout(r, 40));
  assert.deepEqual(ran, [2]);
  d.schedule(() => ran.push(3));
  assert.equal(d.pending, true);
  d.dispose();
  assert.equal(d.pending, false);
  await new Promise((r) => setTimeout(r, 40));
  assert.deepEqual(ran, [2], 'a disposed view runs nothing later');
});

const method = (id: string, params: MethodInfo['params'] = [], family: MethodInfo['family'] = 'deconvolution', output: MethodInfo['output'] = 'input'): MethodInfo => ({ id, title: id, family, summary: '', params, output });
const panel = (over: Partial<PanelState> = {}): PanelState => ({
  imageName: 'cat.png', modelName: 'm', preview: { width: 1, height: 1, data: new Uint8Array(4) }, predictions: [],
  frame: { width: 1, height: 1, x0: 0, y0: 0, x1: 1, y1: 1 }, inputSize: { width: 1, height: 1 },
  methods: [method('gradient'), method('guided-backprop'), method('lrp-epsilon'), method('grad-cam')],
  unavailable: [{ method: 'grad-cam', reason: 'no CAM head' }], layers: [], models: [], defaultMethod: 'guided-backprop',
  colorMap: 'heat', target: { kind: 'top' }, paths: {}, ...over,
});

test('visualize state: defaults from the panel (available methods only, no display choices yet)', () => {
  const s = initialSaved(panel(), undefined);
  assert.equal(s.method, 'guided-backprop');
  assert.deepEqual(s.display, {});
  assert.equal(s.sharedScale, false, 'one scale per map until asked');
  assert.deepEqual(s.gridMethods, ['gradient', 'guided-backprop', 'lrp-epsilon'], 'grad-cam is unavailable');
  assert.deepEqual(s.target, { kind: 'top' });
  assert.equal(initialSaved(panel({ defaultMethod: 'grad-cam' }), undefined).method, 'gradient', 'an unavailable default falls back to the first available');
});

test('visualize state: kept state is restored where it still fits; a host target wins', () => {
  const prev = { method: 'lrp-epsilon', display: { 'lrp-epsilon': { mode: 'blend', opacity: 0.3, colorMap: 'heat' }, gradient: 'junk' }, sharedScale: true, gridOn: true, target: { kind: 'class', index: 3 }, region: { y0: 0, x0: 0, y1: 2, x1: 2 } };
  const s = initialSaved(panel(), prev);
  assert.deepEqual([s.method, s.sharedScale, s.gridOn], ['lrp-epsilon', true, true]);
  assert.deepEqual(s.display, { 'lrp-epsilon': { mode: 'blend', opacity: 0.3, colorMap: 'heat' }, gradient: {} });
  assert.deepEqual(s.target, { kind: 'class', index: 3 });
  assert.equal(s.region, undefined, 'no mask: no region');
  const unit = { kind: 'unit' as const, tensor: 't', channel: 2 };
  assert.deepEqual(initialSaved(panel({ target: unit }), prev).target, unit);
  const stale = initialSaved(panel(), { method: 'removed-method', display: [1, 2], sharedScale: 'yes' });
  assert.deepEqual([stale.method, stale.display, stale.sharedScale], ['guided-backprop', {}, false]);
});

test('visualize state: each method starts at its defaultDisplay and keeps its own choices', () => {
  const gradient = method('gradient'), lrp = method('lrp-epsilon'), cam = method('grad-cam', [], 'cam', 'map');
  const none = { display: {} };
  // The gradient family: the absolute heat map over max |channel|; LRP: signed; CAMs: blended, positive part.
  assert.deepEqual([displayFor(none, gradient, 'auto').mode, displayFor(none, gradient, 'auto').sign, displayFor(none, gradient, 'auto').reduction], ['heatmap', 'absolute', 'max-abs']);
  assert.equal(displayFor(none, lrp, 'auto').sign, 'all');
  assert.deepEqual([displayFor(none, cam, 'auto').mode, displayFor(none, cam, 'auto').sign], ['blend', 'positive']);
  assert.equal(displayFor(none, gradient, 'auto').colorMap, undefined, "'auto': the sign's own map");
  assert.equal(displayFor(none, gradient, 'heat').colorMap, 'heat', 'the configured colour map');
  assert.equal(displayFor(none, gradient, 'rainbow').colorMap, undefined, 'an unknown configured map is ignored');
  const saved = { display: { 'lrp-epsilon': { mode: 'outline' as const, outlineTop: 5, colorMap: 'auto' as const }, gradient: { clip: { by: 'percentile' as const, percent: 1 } } } };
  const l = displayFor(saved, lrp, 'gray');
  assert.deepEqual([l.mode, l.outlineTop, l.sign, l.colorMap], ['outline', 5, 'all', undefined], "the user's 'auto' overrides the configured map");
  assert.deepEqual(displayFor(saved, gradient, 'auto').clip, { by: 'percentile', percent: 1 });
  assert.equal(displayFor(saved, gradient, 'auto').mode, 'heatmap', "lrp's outline stays lrp's");
  assert.equal(displayFor(saved, cam, 'auto').mode, 'blend');
});

test('visualize state: kept display choices are checked field by field', () => {
  assert.deepEqual(sanitizeDisplay({ mode: 'x', sign: 'positive', reduction: 'median', clip: { by: 'mass', percent: 80 }, opacity: 2, outlineTop: 50, colorMap: 'rainbow', threshold: 3 }),
    { sign: 'positive', outlineTop: 50 });
  assert.deepEqual(sanitizeDisplay({ mode: 'bw', clip: { by: 'percentile', percent: 0.5 }, opacity: 0, colorMap: 'auto', reduction: 'abs-sum' }),
    { mode: 'bw', clip: { by: 'percentile', percent: 0.5 }, opacity: 0, colorMap: 'auto', reduction: 'abs-sum' });
  for (const junk of [null, 3, 'blend', [1]]) assert.deepEqual(sanitizeDisplay(junk), {});
});

test('visualize state: a run sends set values of declared parameters, never path values', () => {
  const m = method('patch-replace', [
    { name: 'eps', label: 'ε', kind: 'number', default: 0.1 },
    { name: 'k', label: 'k', kind: 'integer', default: 1 },
    { name: 'layer', label: 'Layer', kind: 'layer' },
    { name: 'cache-dir', label: 'Cache folder', kind: 'path', pathKind: 'folder', default: '' },
  ]);
  const s = initialSaved(panel({ methods: [m], defaultMethod: 'patch-replace' }), undefined);
  const saved = { ...s, params: { 'patch-replace': { eps: 0.5, k: Number.NaN, layer: '', 'cache-dir': '/tmp/evil', undeclared: 1 } } };
  assert.deepEqual(paramsFor(saved, m), { eps: 0.5 });
});

test('visualize state: a wrapper (SmoothGrad) sends its own and its chosen inner method\'s parameters', () => {
  const eps = method('lrp-epsilon', [{ name: 'eps', label: 'ε', kind: 'number', default: 0.25 }]);
  const grad = method('gradient', []);
  const sg = { ...method('smoothgrad', [
    { name: 'of', label: 'Of', kind: 'choice', choices: ['gradient', 'lrp-epsilon'], default: 'gradient' },
    { name: 'samples', label: 'Samples', kind: 'integer', default: 50 },
  ]), wraps: 'of' };
  const all = [eps, grad, sg];
  const lookup = (id: string) => all.find((m) => m.id === id);
  const s = initialSaved(panel({ methods: all, defaultMethod: 'smoothgrad' }), undefined);
  // Default inner method (gradient, no parameters): an ε set earlier for another choice is not sent.
  assert.deepEqual(paramsFor({ ...s, params: { smoothgrad: { samples: 8, eps: 0.5 } } }, sg, lookup), { samples: 8 });
  assert.deepEqual(paramsFor({ ...s, params: { smoothgrad: { of: 'lrp-epsilon', samples: 8, eps: 0.5 } } }, sg, lookup), { of: 'lrp-epsilon', samples: 8, eps: 0.5 });
  assert.deepEqual(controlledParams(sg, { of: 'lrp-epsilon' }, lookup).map((p) => p.name), ['of', 'samples', 'eps']);
  assert.equal(innerMethod(sg, {}, lookup)?.id, 'gradient');
  assert.equal(innerMethod(eps, {}, lookup), undefined, 'not a wrapper');
});

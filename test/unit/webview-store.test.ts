// The webview's state: the store (persist, then notify with the changed keys), the Visualize panel's restored
// state and run parameters, and the debouncer a view disposes on the next `init`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../../webview-ui/store';
import { Debouncer } from '../../webview-ui/debounce';
import { initialSaved, paramsFor } from '../../webview-ui/visualize-state';
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

const method = (id: string, params: MethodInfo['params'] = []): MethodInfo => ({ id, title: id, family: 'deconvolution', summary: '', params, output: 'input' });
const panel = (over: Partial<PanelState> = {}): PanelState => ({
  imageName: 'cat.png', modelName: 'm', preview: { width: 1, height: 1, data: new Uint8Array(4) }, predictions: [],
  methods: [method('gradient'), method('guided-backprop'), method('lrp-epsilon'), method('grad-cam')],
  unavailable: [{ method: 'grad-cam', reason: 'no CAM head' }], layers: [], models: [], defaultMethod: 'guided-backprop',
  colorMap: 'heat', target: { kind: 'top' }, paths: {}, ...over,
});

test('visualize state: defaults from the panel (available methods only, configured colour map)', () => {
  const s = initialSaved(panel(), undefined);
  assert.equal(s.method, 'guided-backprop');
  assert.equal(s.cmap, 'heat');
  assert.equal(s.reduction, 'sum');
  assert.deepEqual(s.gridMethods, ['gradient', 'guided-backprop', 'lrp-epsilon'], 'grad-cam is unavailable');
  assert.deepEqual(s.target, { kind: 'top' });
  assert.equal(initialSaved(panel({ defaultMethod: 'grad-cam' }), undefined).method, 'gradient', 'an unavailable default falls back to the first available');
  assert.equal(initialSaved(panel({ colorMap: 'rainbow' }), undefined).cmap, 'auto');
});

test('visualize state: kept state is restored where it still fits; a host target wins', () => {
  const prev = { method: 'lrp-epsilon', opacity: 0.3, cmap: 'signed', reduction: 'max-abs', gridOn: true, target: { kind: 'class', index: 3 }, region: { y0: 0, x0: 0, y1: 2, x1: 2 } };
  const s = initialSaved(panel(), prev);
  assert.deepEqual([s.method, s.opacity, s.cmap, s.reduction, s.gridOn], ['lrp-epsilon', 0.3, 'signed', 'max-abs', true]);
  assert.deepEqual(s.target, { kind: 'class', index: 3 });
  assert.equal(s.region, undefined, 'no mask: no region');
  const unit = { kind: 'unit' as const, tensor: 't', channel: 2 };
  assert.deepEqual(initialSaved(panel({ target: unit }), prev).target, unit);
  const stale = initialSaved(panel(), { method: 'removed-method', cmap: 'rainbow', reduction: 'median' });
  assert.deepEqual([stale.method, stale.cmap, stale.reduction], ['guided-backprop', 'heat', 'sum']);
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

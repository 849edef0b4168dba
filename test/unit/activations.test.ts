/**
 * The activations request (the activations view, the code hovers): a layer's channels for item 0 of an input,
 * ranked by mean or max, over the engine process's RPC and in process; values checked against the layer's
 * definition (a 1×1 convolution computed by hand) and a channels-last layer read channels-first.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { layerActivations, rankChannels } from '../../src/engine/activations';
import { attr } from '../../src/engine/ir/graph';
import { ConstTensor } from '../../src/engine/ir/tensor';
import { EngineClient } from '../../src/host/engineClient';
import { parseWebviewMessage, Requests } from '../../src/protocol/messages';
import { oneNodeModel } from './onenode';

const engine = new Engine({ threads: 1 });
const root = path.resolve(__dirname, '../..');
const client = new EngineClient({ modulePath: path.join(root, 'src/engine-process/main.ts'), execArgv: ['--import', 'tsx'], log: () => undefined, onCrash: () => undefined });
after(async () => { client.dispose(); await engine.dispose(); });

// y[k] = Σ_c W[k][c] · x[c] per pixel: a 1×1 convolution with 4 output channels on a 3 × 2 × 3 input.
const W = [[1, 0, 0], [0, 2, 0], [-1, 0, 0], [0.5, 0.5, 0.6]];
const conv = oneNodeModel({
  op: 'Conv', inputs: ['x', 'w'], inputShape: [1, 3, 2, 3], attrs: { kernel_shape: attr.ints([1, 1]) },
  consts: { w: ConstTensor.float32([4, 3, 1, 1], W.flat()) },
});
const x = Float32Array.from({ length: 18 }, (_, i) => (i < 6 ? [1, 2, 3, 4, 5, 6][i] : i < 12 ? [0, 0, 0, 0, 0, 9][i - 6] : 1));
const plane = (k: number) => Array.from({ length: 6 }, (_, p) => W[k][0] * x[p] + W[k][1] * x[6 + p] + W[k][2] * x[12 + p]);
const stats = (k: number) => ({ mean: plane(k).reduce((a, b) => a + b, 0) / 6, max: Math.max(...plane(k)) });

test('channels of a 1×1 convolution: maps, means and maxima as defined, top k by mean, by max, or by mean in index order', async () => {
  // means: k0 3.5, k1 3, k2 −3.5, k3 3.1; maxima: k0 6, k1 18, k2 −1, k3 8.1.
  const model = engine.open(conv);
  const byMean = await layerActivations(model, { data: x, dims: [1, 3, 2, 3] }, 'y0', 3, 'mean');
  assert.equal(byMean.tensor, 'y0');
  assert.deepEqual(byMean.shape, [1, 4, 2, 3]);
  assert.deepEqual(byMean.channels.map((c) => c.index), [0, 3, 1]);
  for (const c of byMean.channels) {
    assert.deepEqual(c.map.dims, [2, 3]);
    assert.deepEqual(Array.from(c.map.data), plane(c.index).map(Math.fround));
    assert.ok(Math.abs(c.mean - stats(c.index).mean) < 1e-6 && Math.abs(c.max - stats(c.index).max) < 1e-6);
  }
  const byMax = await layerActivations(model, { data: x, dims: [1, 3, 2, 3] }, 'y0', 2, 'max');
  assert.deepEqual(byMax.channels.map((c) => c.index), [1, 3]);
  const byIndex = await layerActivations(model, { data: x, dims: [1, 3, 2, 3] }, 'y0', 3, 'index');
  assert.deepEqual(byIndex.channels.map((c) => c.index), [0, 1, 3]);
  assert.equal((await layerActivations(model, { data: x, dims: [1, 3, 2, 3] }, 'y0', 99)).channels.length, 4, 'top beyond the channel count gives them all');
});

test('rankChannels reads item 0 only and breaks ties by channel index', () => {
  const A = { data: Float32Array.from([1, 1, 2, 2, 1, 1, /* item 1 */ 9, 9, 9, 9, 9, 9]), dims: [2, 3, 1, 2] };
  assert.deepEqual(rankChannels(A, 3, 'mean').map((c) => [c.index, c.mean]), [[1, 2], [0, 1], [2, 1]]);
});

test('over the engine process: the same channels; errors name a bad tensor, top or sort', async () => {
  const input = { data: x, dims: [1, 3, 2, 3] };
  const r = await client.request(Requests.activations, { model: conv, input, tensor: 'y0', top: 2 });
  assert.deepEqual(r.channels.map((c) => c.index), [0, 3]);
  assert.ok(r.channels[0].map.data instanceof Float32Array, 'maps cross as Float32Arrays');
  await assert.rejects(client.request(Requests.activations, { model: conv, input, tensor: 'nope' }), /no tensor named 'nope'/);
  await assert.rejects(client.request(Requests.activations, { model: conv, input, tensor: 'y0', top: 0 }), /top must be an integer/);
  await assert.rejects(client.request(Requests.activations, { model: conv, input, tensor: 'y0', sort: 'median' as 'mean' }), /sort must be mean, max or index/);
  const flat = oneNodeModel({ op: 'Relu', inputs: ['x'], inputShape: [1, 6] });
  await assert.rejects(client.request(Requests.activations, { model: flat, input: { data: new Float32Array(6), dims: [1, 6] }, tensor: 'y0' }), /not a feature map with spatial axes/);
});

test('a channels-last layer (N, H, W, C) is read channels-first', async () => {
  // Transpose to NHWC then Relu: channel k of the view is plane k of the input, rectified.
  const nhwc = oneNodeModel({ op: 'Relu', inputs: ['t0'], inputShape: [1, 3, 2, 3], before: [{ op: 'Transpose', inputs: ['x'], attrs: { perm: attr.ints([0, 2, 3, 1]) } }] });
  const xs = Float32Array.from({ length: 18 }, (_, i) => i - 5);
  const r = await layerActivations(engine.open(nhwc), { data: xs, dims: [1, 3, 2, 3] }, 'y0', 3, 'index');
  assert.deepEqual(r.shape, [1, 3, 2, 3]);
  for (const c of r.channels) assert.deepEqual(Array.from(c.map.data), Array.from(xs.subarray(c.index * 6, c.index * 6 + 6), (v) => Math.max(0, v)));
});

test('filters: the Conv that produces a named tensor; a tensor no Conv produces is refused', async () => {
  const f = await client.request(Requests.filters, { model: conv, tensor: 'y0' });
  assert.deepEqual(f.weights.dims, [4, 3, 1, 1]);
  assert.deepEqual(Array.from(f.weights.data), W.flat().map(Math.fround));
  await assert.rejects(client.request(Requests.filters, { model: conv, tensor: 'x' }), /not the output of a Conv/);
});

test("the activations view's messages are checked: a layer and a ranking, or a clicked channel", () => {
  assert.deepEqual(parseWebviewMessage({ type: 'activations', tensor: 'y0', sort: 'max', extra: 1 }), { ok: true, message: { type: 'activations', tensor: 'y0', sort: 'max' } });
  assert.deepEqual(parseWebviewMessage({ type: 'channel', seq: 3, index: 7 }), { ok: true, message: { type: 'channel', seq: 3, index: 7 } });
  for (const bad of [{ type: 'activations', tensor: 'y0', sort: 'median' }, { type: 'activations', tensor: 5, sort: 'mean' }, { type: 'channel', seq: 1, index: -1 }, { type: 'channel', seq: 1.5, index: 0 }]) {
    assert.equal(parseWebviewMessage(bad).ok, false, JSON.stringify(bad));
  }
});

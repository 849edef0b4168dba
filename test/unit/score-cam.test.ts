/**
 * Score-CAM against its definition in PyTorch (float64, tools/make_attribution_refs.py; the channel weights equal
 * pytorch-grad-cam's ScoreCAM with ClassifierOutputSoftmaxTarget there); batching, scores, cancellation, errors
 * and its 'layer-activation' need in the model summary.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { readNpy } from '../../src/engine/npy';
import { FeatureVisError } from '../../src/engine/errors';
import type { TensorData } from '../../src/protocol/types';
import { oneNodeModel } from './onenode';
import { viewChannelsFirst } from '../../src/engine/attribution/layer-view';
import { attr } from '../../src/engine/ir/graph';
import { ConstTensor } from '../../src/engine/ir/tensor';
import { FIXTURES, relativeError } from './helpers';

const dir = path.join(FIXTURES, 'attribution');
const refs = JSON.parse(fs.readFileSync(path.join(dir, 'refs.json'), 'utf8')) as { targets: number[]; layer: string; 'score-cam': number[] };
const engine = new Engine({ threads: 1 });
after(() => engine.dispose());
const model = engine.open(path.join(dir, 'model.onnx'));
const input = readNpy(path.join(dir, 'input.npy'));
const target = { kind: 'class' as const, index: refs.targets };

test('score-cam matches its PyTorch definition within 1e-4 on a batch of two, in any batch size', async () => {
  for (const batch of [0, 3]) {
    const r = await engine.explain({ model, input, method: 'score-cam', params: { layer: refs.layer, batch }, target });
    assert.deepEqual(r.relevance.dims, [2, 1, 16, 16]);
    const err = relativeError(r.relevance.data, Float32Array.from(refs['score-cam']));
    assert.ok(err < 1e-4, `batch ${batch}: relative L2 error ${err.toExponential(2)}`);
    assert.equal(r.extras!.score, 'probability');
    const w = r.extras!.channel_weights as TensorData;
    assert.deepEqual(w.dims, [2, 8]);
    for (let n = 0; n < 2; n++) assert.ok(Math.abs(w.data.subarray(n * 8, n * 8 + 8).reduce((a, v) => a + v, 0) - 1) < 1e-5);
  }
});

test('score-cam scores a unit target by its raw value; progress is reported; cancellation stops it', async () => {
  const unit = await engine.explain({ model, input, method: 'score-cam', params: { layer: refs.layer }, target: { kind: 'unit', tensor: 'logits', channel: 1 } });
  assert.equal(unit.extras!.score, 'value');
  const fractions: number[] = [];
  await engine.explain({ model, input, method: 'score-cam', params: { layer: refs.layer, batch: 2 }, target }, undefined, (p) => fractions.push(p.fraction!));
  assert.equal(fractions.length, 8);
  assert.equal(fractions[fractions.length - 1], 1);
  const token = { isCancellationRequested: false };
  await assert.rejects(
    engine.explain({ model, input, method: 'score-cam', params: { batch: 2 }, target }, token, () => (token.isCancellationRequested = true)),
    (e: unknown) => e instanceof FeatureVisError && e.code === 'Cancelled',
  );
});

test('score-cam errors: an unknown or non-spatial layer, a non-image input; a model without a feature map lists it as unavailable', async () => {
  await assert.rejects(engine.explain({ model, input, method: 'score-cam', params: { layer: 'nope' }, target }), /no tensor named 'nope'/);
  await assert.rejects(engine.explain({ model, input, method: 'score-cam', params: { layer: 'logits' }, target }), /not a feature map with spatial axes/);
  const flat = engine.open(oneNodeModel({ op: 'Relu', inputs: ['x'], inputShape: [1, 6] }));
  await assert.rejects(engine.explain({ model: flat, input: { data: new Float32Array(6), dims: [1, 6] }, method: 'score-cam', target: { kind: 'class', index: 0 } }), /score-cam needs an image input/);
  const summary = await engine.summary(flat);
  assert.match(summary.unavailable.find((u) => u.method === 'score-cam')?.reason ?? '', /no convolutional feature map/);
  assert.equal((await engine.summary(model)).unavailable.find((u) => u.method === 'score-cam'), undefined);
});

test("an op without a backward rule: score-cam and rise are among the methods that still work (they need no gradient)", async () => {
  const m = engine.open(oneNodeModel({ op: 'Hardmax', inputs: ['x'], inputShape: [1, 3, 4, 4], attrs: {} }));
  const x = { data: new Float32Array(48).fill(0.5), dims: [1, 3, 4, 4] };
  const t = { kind: 'weights' as const, tensor: 'y0', weights: { data: new Float32Array(48).fill(1), dims: [1, 3, 4, 4] } };
  const error = (await engine.explain({ model: m, input: x, method: 'gradient', target: t }).then(() => undefined, (e) => e)) as FeatureVisError;
  assert.equal(error?.code, 'UnsupportedOp');
  for (const id of ['score-cam', 'rise']) assert.ok(error.details.working?.includes(id), `methods that still work: ${error.details.working}`);
});

test('on a segmentation model (dense class targets) smoothgrad, score-cam and rise explain the pixels predicted as the class', async () => {
  // logits = W·x per pixel (1×1 convolution); class 1 is predicted inside the box rows 1–3, columns 1–4.
  const W = [[1, 0.2, -0.1], [0.1, 1, 0.3], [-0.2, 0.1, 1]];
  const seg = engine.open(oneNodeModel({
    op: 'Conv', inputs: ['x', 'w'], inputShape: [1, 3, 8, 8], attrs: { kernel_shape: attr.ints([1, 1]) },
    consts: { w: ConstTensor.float32([3, 3, 1, 1], W.flat()) },
  }));
  const x = new Float32Array(192);
  const inBox = (i: number) => Math.floor(i / 8) >= 1 && Math.floor(i / 8) < 4 && i % 8 >= 1 && i % 8 < 5;
  for (let i = 0; i < 64; i++) { x[i] = 1; if (inBox(i)) x[64 + i] = 3; }
  const img = { data: x, dims: [1, 3, 8, 8] };
  const t = { kind: 'class' as const, index: 1 };
  // Linear in x: every noisy copy has the plain gradient.
  const plain = await engine.explain({ model: seg, input: img, method: 'gradient', target: t });
  const sg = await engine.explain({ model: seg, input: img, method: 'smoothgrad', params: { samples: 4 }, target: t });
  assert.ok(relativeError(sg.relevance.data, plain.relevance.data) < 1e-5);
  for (const method of ['score-cam', 'rise']) {
    const r = await engine.explain({ model: seg, input: img, method, params: method === 'rise' ? { masks: 200, cells: 4 } : {}, target: t });
    assert.equal(r.extras!.score, 'value');
    const mean = (f: (i: number) => boolean) => { const v = [...r.relevance.data].filter((_, i) => f(i)); return v.reduce((a, b) => a + b, 0) / v.length; };
    assert.ok(mean(inBox) > mean((i) => !inBox(i)), `${method}: the box outweighs the rest`);
    const untargeted = await engine.explain({ model: seg, input: img, method });
    assert.deepEqual(untargeted.relevance.dims, [1, 1, 8, 8]);
  }
});

test('activations are viewed as (N, C, h, w) the way the CAM plans view them: channels-last transposed, patch tokens on their grid', () => {
  const tokens = Float32Array.from({ length: 2 * 5 * 2 }, (_, i) => 100 * Math.floor(i / 10) + 10 * Math.floor((i % 10) / 2) + (i % 2));
  const t = viewChannelsFirst(tokens, [2, 5, 2], { kind: 'tokens', extra: 1, h: 2, w: 2 });
  assert.deepEqual(t.dims, [2, 2, 2, 2]);
  // item b, channel k, patch p (row-major) = token 1 + p of item b.
  for (let b = 0; b < 2; b++) for (let k = 0; k < 2; k++) for (let p = 0; p < 4; p++) assert.equal(t.data[(b * 2 + k) * 4 + p], 100 * b + 10 * (1 + p) + k);
  const last = Float32Array.from({ length: 12 }, (_, i) => i);
  const v = viewChannelsFirst(last, [1, 2, 2, 3], { kind: 'channels-last' });
  assert.deepEqual(v.dims, [1, 3, 2, 2]);
  for (let k = 0; k < 3; k++) for (let p = 0; p < 4; p++) assert.equal(v.data[k * 4 + p], p * 3 + k);
});

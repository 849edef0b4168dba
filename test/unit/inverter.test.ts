/** Generative inverter (train-inverter / invert-generative) on the convnet fixture (24² input) and the 16² fixture images. */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { loadImageFile } from '../../src/engine/preprocess';
import { filterGrad3x3, readMeta, trainInverter } from '../../src/engine/reconstruct/inverter';
import { loadTf } from '../../src/engine/reconstruct/tf';
import { Rng } from '../../src/engine/reconstruct/rng';
import { FIXTURES } from './helpers';

const engine = new Engine({ threads: 1 });
const CONVNET = path.join(FIXTURES, 'convnet', 'model.onnx');
const IMAGES = path.join(FIXTURES, 'reconstruct', 'images');
const LAYER = '/relu2/Relu_output_0';
const ALL = fs.readdirSync(IMAGES).filter((f) => f.endsWith('.png')).sort();
const HELD = ALL[5];
const tmp: string[] = [];
const mkdtemp = (p: string) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), p));
  tmp.push(d);
  return d;
};
after(async () => {
  await engine.dispose();
  for (const d of tmp) fs.rmSync(d, { recursive: true, force: true });
});

function folderOf(names: string[]): string {
  const d = mkdtemp('fv-inv-img-');
  for (const f of names) fs.copyFileSync(path.join(IMAGES, f), path.join(d, f));
  return d;
}

test('filter gradient of the 3×3 convolution matches TF.js autodiff', async () => {
  const { tf } = await loadTf();
  const r = new Rng(3);
  const x = tf.tensor4d(Float32Array.from({ length: 2 * 5 * 4 * 3 }, () => r.normal()), [2, 5, 4, 3]);
  const dy = tf.tensor4d(Float32Array.from({ length: 2 * 5 * 4 * 6 }, () => r.normal()), [2, 5, 4, 6]);
  const w = tf.zeros([3, 3, 3, 6]) as import('@tensorflow/tfjs').Tensor4D;
  const ref = tf.grad((wv: import('@tensorflow/tfjs').Tensor) => tf.sum(tf.mul(tf.conv2d(x, wv as import('@tensorflow/tfjs').Tensor4D, 1, 'same'), dy)))(w);
  const ours = filterGrad3x3(x.dataSync() as Float32Array, dy.dataSync() as Float32Array, x.shape, 6);
  const want = ref.dataSync();
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(want[i] - ours[i]) < 1e-4, `${i}: ${want[i]} vs ${ours[i]}`);
  tf.dispose([x, dy, w, ref]);
});

test('train-inverter: loss falls; the decoder beats the mean image on a held-out image; invert-generative runs', async () => {
  const model = engine.open(CONVNET);
  const folder = folderOf(ALL.filter((f) => f !== HELD));
  fs.writeFileSync(path.join(folder, 'readme.txt'), 'not an image');
  const out = mkdtemp('fv-inv-out-');
  const epochLosses: number[] = [];
  const r = await trainInverter({ model, layer: LAYER, images: folder, out, epochs: 10, batch: 8, lr: 3e-3, progress: (p) => p.epochLoss !== undefined && epochLosses.push(p.epochLoss) });
  assert.equal(r.meta.epoch, 10);
  assert.deepEqual(r.meta.loss, epochLosses);
  assert.ok(r.meta.loss[9] < 0.6 * r.meta.loss[0], `loss ${r.meta.loss.join(', ')}`);
  assert.ok(r.notes.some((n) => /skipped readme\.txt/.test(n)));
  assert.ok(r.imagesPerSecond > 0);
  for (const f of ['inverter.json', 'decoder.json', 'decoder.weights.bin', 'optimizer.bin']) assert.ok(fs.existsSync(path.join(out, f)), f);

  const pre = model.preprocessing();
  const input = loadImageFile(path.join(IMAGES, HELD), pre);
  const mean = new Float32Array(input.data.length);
  const train = ALL.filter((f) => f !== HELD);
  for (const f of train) loadImageFile(path.join(IMAGES, f), pre).data.forEach((v, i) => (mean[i] += v / train.length));
  const meanMse = input.data.reduce((a, v, i) => a + (v - mean[i]) ** 2, 0) / input.data.length;
  const res = await engine.explain({ model, input, method: 'invert-generative', target: { kind: 'class', index: 0 }, params: { inverter: out } });
  assert.deepEqual(res.relevance.dims, [1, 3, 24, 24]);
  const mse = input.data.reduce((a, v, i) => a + (v - res.relevance.data[i]) ** 2, 0) / input.data.length;
  assert.ok(Math.abs(mse - res.targetValue[0]) < 1e-6);
  assert.ok(mse < 0.75 * meanMse, `decoder ${mse} vs mean image ${meanMse}`);
});

test('train-inverter: resume continues from the saved epoch; cancellation keeps the last finished epoch', async () => {
  const model = engine.open(CONVNET);
  const folder = folderOf(ALL.slice(0, 8));
  const out = mkdtemp('fv-inv-res-');
  const first = await trainInverter({ model, layer: LAYER, images: folder, out, epochs: 2, batch: 4, lr: 3e-3 });
  assert.equal(first.meta.epoch, 2);
  await assert.rejects(trainInverter({ model, layer: LAYER, images: folder, out, epochs: 3 }), /pass --resume/);
  const resumed = await trainInverter({ model, layer: LAYER, images: folder, out, epochs: 3, batch: 4, lr: 3e-3, resume: true });
  assert.equal(resumed.resumedFrom, 2);
  assert.equal(resumed.meta.epoch, 3);
  assert.deepEqual(resumed.meta.loss.slice(0, 2), first.meta.loss);
  assert.ok(!resumed.notes.some((n) => /Adam restarted/.test(n)), resumed.notes.join('; '));
  await assert.rejects(trainInverter({ model, layer: '/relu1/Relu_output_0', images: folder, out, epochs: 4, resume: true }), /trained for layer/);

  const token = { isCancellationRequested: false };
  await assert.rejects(trainInverter({ model, layer: LAYER, images: folder, out, epochs: 6, batch: 4, resume: true, token, progress: (p) => { if (p.batch === 1) token.isCancellationRequested = true; } }), /cancelled/);
  assert.equal(readMeta(out).epoch, 3);
});

test('train-inverter / invert-generative: bad inputs give clear messages', async () => {
  const model = engine.open(CONVNET);
  const empty = mkdtemp('fv-inv-empty-');
  fs.writeFileSync(path.join(empty, 'notes.txt'), 'x');
  const out = path.join(mkdtemp('fv-inv-bad-'), 'dec');
  await assert.rejects(trainInverter({ model, layer: LAYER, images: empty, out, epochs: 1 }), /no PNG or JPEG images/);
  await assert.rejects(trainInverter({ model, layer: LAYER, images: path.join(empty, 'missing'), out, epochs: 1 }), /cannot read the image folder/);
  await assert.rejects(trainInverter({ model, layer: 'nope', images: IMAGES, out, epochs: 1 }), /no tensor named 'nope'/);
  await assert.rejects(trainInverter({ model, layer: LAYER, images: IMAGES, out, epochs: 0 }), /--epochs/);
  const input = loadImageFile(path.join(IMAGES, HELD), model.preprocessing());
  await assert.rejects(engine.explain({ model, input, method: 'invert-generative', target: { kind: 'class', index: 0 }, params: { inverter: empty } }), /holds no trained inverter/);
  await assert.rejects(engine.explain({ model, input, method: 'invert-generative', target: { kind: 'class', index: 0 }, params: {} }), /inverter is required/);
});

/**
 * Channels-last (NHWC) image models, as tf2onnx exports Keras models: layout detection, images in and out, and
 * every explanation of an NHWC model equal to its NCHW twin's (transposed where it is input-shaped).
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { encodeModel } from '../../src/engine/onnx/codec';
import { ConstTensor } from '../../src/engine/ir/tensor';
import { twinModel } from './twin-model';
import { decodeImage, encodePng } from '../../src/engine/image/decode';
import { loadImageFile, mergePreprocessing, defaultPreprocessing, tensorToRgba } from '../../src/engine/preprocess';
import { detectLayout, nchwToNhwc, nhwcToNchw, relevanceForDisplay } from '../../src/engine/layout';
import { loadInput, renderOverlay } from '../../src/cli/io';
import { serveEngine } from '../../src/engine-process/main';
import { RpcConnection } from '../../src/protocol/rpc';
import { Requests } from '../../src/protocol/messages';
import type { TensorData } from '../../src/protocol/types';
import { randn, rng } from './onenode';
import { relativeError, transportPair } from './helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-layout-'));
let counter = 0;
const H = 16, W = 16, C = 3;
const next = rng(11);
const weights = {
  w: ConstTensor.float32([4, C, 3, 3], randn(4 * C * 9, next)),
  b: ConstTensor.float32([4], randn(4, next)),
  fc: ConstTensor.float32([5, 4], randn(20, next)),
  fb: ConstTensor.float32([5], randn(5, next)),
};

function writeModel(nhwc: boolean, dims: (number | string)[], sidecar?: object): string {
  const model = twinModel(weights, nhwc, dims);
  const file = path.join(dir, `twin-${counter++}.onnx`);
  fs.writeFileSync(file, encodeModel(model));
  if (sidecar) fs.writeFileSync(file.replace(/\.onnx$/, '.json'), JSON.stringify(sidecar));
  return file;
}

const engine = new Engine({ threads: 1 });
after(() => engine.dispose());
const nchwModel = engine.open(writeModel(false, [1, C, H, W]));
const nhwcModel = engine.open(writeModel(true, [1, H, W, C]));

// A 24×20 photo-like image (random pixels), resized to the models' 16×16.
const png = path.join(dir, 'photo.png');
const pixels = Uint8Array.from({ length: 24 * 20 * 4 }, (_, i) => (i % 4 === 3 ? 255 : Math.floor(256 * next())));
fs.writeFileSync(png, encodePng(24, 20, pixels));
const inNCHW = loadImageFile(png, nchwModel.preprocessing());
const inNHWC = loadImageFile(png, nhwcModel.preprocessing());
const toNCHW = (t: TensorData) => nhwcToNchw(t.data, t.dims);

test('layout detection from the input shape', () => {
  assert.equal(detectLayout([1, 224, 224, 3]), 'NHWC');
  assert.equal(detectLayout([1, 28, 28, 1]), 'NHWC');
  assert.equal(detectLayout(['N', 'H', 'W', 3]), 'NHWC');
  assert.equal(detectLayout([null, null, null, 4]), 'NHWC');
  assert.equal(detectLayout([1, 3, 224, 224]), 'NCHW');
  assert.equal(detectLayout(['N', 3, 'H', 'W']), 'NCHW');
  assert.equal(detectLayout([1, 3, 8, 3]), 'NCHW', 'a tie reads as channels-first');
  assert.equal(detectLayout(['N', 'H', 'W', 'C']), 'NCHW');
  assert.equal(detectLayout([1, 8, 8, 16]), 'NCHW');
  assert.equal(detectLayout([1, 100, 3]), 'NCHW', 'only rank-4 inputs are channels-last');
  assert.equal(nchwModel.preprocessing().layout, 'NCHW');
  assert.equal(nhwcModel.preprocessing().layout, 'NHWC');
  assert.deepEqual(nhwcModel.preprocessing().size, [H, W]);
  assert.deepEqual(nhwcModel.preprocessing().mean, [0.485, 0.456, 0.406], 'ImageNet statistics for 3 channels');
});

test('symbolic H and W are filled at the layout\'s spatial axes', () => {
  const e = new Engine({ threads: 1 });
  const sym = e.open(writeModel(true, ['N', 'H', 'W', C]));
  assert.equal(sym.preprocessing().layout, 'NHWC');
  assert.deepEqual(sym.inputShapeFor(2), [2, 224, 224, C]);
  const symFirst = e.open(writeModel(false, ['N', C, 'H', 'W']));
  assert.deepEqual(symFirst.inputShapeFor(2), [2, C, 224, 224]);
  void e.dispose();
});

test('the sidecar and the setting override the detected layout; a bad sidecar layout is an error', () => {
  const stats = { size: [H, W], mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
  const e = new Engine({ threads: 1 });
  assert.equal(e.open(writeModel(true, [1, H, W, C], stats)).preprocessing().layout, 'NHWC', 'no layout field: detected');
  assert.equal(e.open(writeModel(true, [1, H, W, C], { ...stats, layout: 'NCHW' })).preprocessing().layout, 'NCHW');
  assert.equal(e.open(writeModel(true, [1, 4, 4, C], { ...stats, layout: 'nhwc' })).preprocessing().layout, 'NHWC');
  assert.throws(() => e.open(writeModel(true, [1, H, W, C], { ...stats, layout: 'HWC' })), /layout must be "NCHW" or "NHWC"/);
  // [1, 4, 4, 3] reads as channels-first (dim 1 could be channels); the setting says otherwise.
  const tie = writeModel(true, [1, 4, 4, C]);
  assert.equal(e.open(tie).preprocessing().layout, 'NCHW');
  const set = new Engine({ threads: 1, preprocessing: { layout: 'NHWC' } });
  assert.deepEqual({ ...set.open(tie).preprocessing(), mean: undefined, std: undefined }, { ...defaultPreprocessing([1, 4, 4, C], 'NHWC'), mean: undefined, std: undefined });
  assert.deepEqual(set.open(tie).preprocessing().size, [4, 4]);
  const bad = new Engine({ threads: 1, preprocessing: { layout: 'NHXC' as never } });
  assert.equal(bad.open(tie).preprocessing().layout, 'NCHW', 'a malformed setting is ignored');
  assert.equal(mergePreprocessing(defaultPreprocessing([1, 3, 8, 8]), { layout: 'NHWC' }).layout, 'NHWC');
  for (const x of [e, set, bad]) void x.dispose();
});

test('an image loads into (1, H, W, 3) with the NCHW path\'s values, and back to the same pixels', () => {
  assert.deepEqual(inNHWC.dims, [1, H, W, C]);
  assert.deepEqual(inNCHW.dims, [1, C, H, W]);
  assert.deepEqual(toNCHW(inNHWC), inNCHW.data);
  assert.deepEqual(nchwToNhwc(inNCHW.data, inNCHW.dims), inNHWC.data);
  assert.deepEqual(tensorToRgba(inNHWC, nhwcModel.preprocessing()), tensorToRgba(inNCHW, nchwModel.preprocessing()));
  const bgr = { ...nhwcModel.preprocessing(), channels: 'BGR' as const };
  const bgrFirst = { ...nchwModel.preprocessing(), channels: 'BGR' as const };
  assert.deepEqual(toNCHW(loadImageFile(png, bgr)), loadImageFile(png, bgrFirst).data);
  assert.deepEqual(tensorToRgba(loadImageFile(png, bgr), bgr), tensorToRgba(loadImageFile(png, bgrFirst), bgrFirst));
  const batch = loadInput(`${png},${png}`, nhwcModel);
  assert.deepEqual(batch.dims, [2, H, W, C]);
});

const target = { kind: 'class' as const, index: [2] };
const explain = async (method: string, params = {}) => {
  const a = await engine.explain({ model: nchwModel, input: inNCHW, method, params, target });
  const b = await engine.explain({ model: nhwcModel, input: inNHWC, method, params, target });
  return { a, b };
};

for (const method of ['gradient', 'input-x-gradient', 'guided-backprop', 'lrp-epsilon', 'lrp-composite', 'guided-grad-cam']) {
  test(`${method} on the NHWC model is the NCHW twin's, transposed`, async () => {
    const { a, b } = await explain(method);
    assert.deepEqual(b.relevance.dims, [1, H, W, C], 'relevance comes in the model\'s input layout');
    const err = relativeError(toNCHW(b.relevance), a.relevance.data);
    assert.ok(err < 1e-5, `relative error ${err}`);
    assert.ok(Math.abs(b.targetValue[0] - a.targetValue[0]) < 1e-5);
  });
}

test('zB with given bounds on the NHWC model equals the twin\'s', async () => {
  // The default run above uses per-channel (ImageNet) bounds; this one the user's scalar bounds, fed in the same
  // (1, 1, 1, C) shape and reshaped to the transposed Conv input's (1, C, 1, 1).
  const { a, b } = await explain('lrp-composite', { low: -3, high: 3 });
  const err = relativeError(toNCHW(b.relevance), a.relevance.data);
  assert.ok(err < 1e-5, `relative error ${err}`);
});

for (const method of ['grad-cam', 'cam']) {
  test(`${method} maps of the twins are equal, (N, 1, H, W) at the input's size`, async () => {
    const { a, b } = await explain(method);
    assert.deepEqual(b.relevance.dims, [1, 1, H, W]);
    assert.ok(relativeError(b.relevance.data, a.relevance.data) < 1e-5);
  });
}

for (const fill of ['value', 'value:0.1,0.5,0.9', 'mean', 'blur:1', 'random']) {
  test(`occlusion (fill ${fill}) maps of the twins are equal`, async () => {
    const { a, b } = await explain('occlusion', { box: [4, 4], stride: [4, 4], fill, seed: 3 });
    assert.deepEqual(b.relevance.dims, [1, 1, H, W]);
    assert.equal(b.extras!.units, 'pixel');
    assert.ok(relativeError(b.relevance.data, a.relevance.data) < 1e-5, `relative error ${relativeError(b.relevance.data, a.relevance.data)}`);
    assert.ok(b.relevance.data.some((v) => v !== 0));
  });
}

test('the PNG overlay is the same image for the twins', async () => {
  for (const method of ['gradient', 'grad-cam']) {
    const { a, b } = await explain(method);
    const opts = { reduction: 'sum' as const, colorMap: 'signed' as const, opacity: 0.6 };
    const pa = decodeImage(renderOverlay(inNCHW, a.relevance, nchwModel.preprocessing(), opts), 'a.png');
    const pb = decodeImage(renderOverlay(inNHWC, b.relevance, nhwcModel.preprocessing(), opts), 'b.png');
    assert.deepEqual([pb.width, pb.height], [W, H]);
    // Float differences of ~1e-7 may move a colour by one level; anything more is a layout error.
    const worst = pa.data.reduce((m, v, i) => Math.max(m, Math.abs(v - pb.data[i])), 0);
    assert.ok(worst <= 1, `${method}: overlays differ by up to ${worst}`);
  }
});

test('relevance for display: input-shaped NHWC relevance is transposed, maps pass through', () => {
  const rel = { data: Float32Array.from({ length: H * W * C }, (_, i) => i), dims: [1, H, W, C] };
  assert.deepEqual(relevanceForDisplay(rel, [1, H, W, C], 'NHWC'), { data: nhwcToNchw(rel.data, rel.dims), dims: [1, C, H, W] });
  const map = { data: new Float32Array(H * W), dims: [1, 1, H, W] };
  assert.equal(relevanceForDisplay(map, [1, H, W, C], 'NHWC'), map);
  assert.equal(relevanceForDisplay(rel, [1, H, W, C], 'NCHW'), rel);
});

test('the engine process gives the panel (N, C, H, W) relevance and the same preview for an NHWC model', async () => {
  const [a, b] = transportPair();
  const client = new RpcConnection(a, 'c');
  const { engine: served } = serveEngine(b, { threads: 1 });
  try {
    const loaded = await client.sendRequest(Requests.loadImage, { model: nhwcModel.path, path: png });
    const twin = await client.sendRequest(Requests.loadImage, { model: nchwModel.path, path: png });
    assert.deepEqual(loaded.input.dims, [1, H, W, C]);
    assert.deepEqual(loaded.preview, twin.preview);
    const r = await client.sendRequest(Requests.explain, { model: nhwcModel.path, input: loaded.input, method: 'gradient', target });
    const t = await client.sendRequest(Requests.explain, { model: nchwModel.path, input: twin.input, method: 'gradient', target });
    assert.deepEqual(r.relevance.dims, [1, C, H, W]);
    assert.ok(relativeError(r.relevance.data, t.relevance.data) < 1e-5);
  } finally {
    await served.dispose();
  }
});

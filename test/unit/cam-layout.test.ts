/** CAM and Grad-CAM on channels-last feature maps and token sequences (cam-layout.ts). */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { Engine } from '../../src/engine/engine';
import { camLayout, tokenGrid } from '../../src/engine/cam-layout';
import { attr } from '../../src/engine/ir/graph';
import { ConstTensor } from '../../src/engine/ir/tensor';
import { c, ci } from './gradcheck';
import { oneNodeModel, randn, rng } from './onenode';
import { relativeError } from './helpers';

test('layouts: patch tokens with leading extra tokens, channels-last and channels-first maps', () => {
  assert.deepEqual(tokenGrid(197, [1, 3, 224, 224]), { extra: 1, h: 14, w: 14 });
  assert.deepEqual(tokenGrid(198, [1, 3, 224, 224]), { extra: 2, h: 14, w: 14 });
  assert.deepEqual(tokenGrid(49, [1, 3, 224, 224]), { extra: 0, h: 7, w: 7 });
  assert.deepEqual(tokenGrid(28, [1, 3, 48, 144]), { extra: 1, h: 3, w: 9 });
  assert.equal(tokenGrid(500, [1, 3, 224, 224]), undefined);
  assert.deepEqual(camLayout([2, 197, 768], [2, 3, 224, 224]), { kind: 'tokens', extra: 1, h: 14, w: 14 });
  assert.deepEqual(camLayout([2, 7, 7, 768], [2, 3, 224, 224]), { kind: 'channels-last' });
  assert.deepEqual(camLayout([2, 768, 7, 7], [2, 3, 224, 224]), { kind: 'channels-first' });
  assert.deepEqual(camLayout([2, 7, 7, 7], [2, 3, 224, 224]), { kind: 'channels-first' });
  assert.deepEqual(camLayout([2, 7, 7, 7], [2, 3, 224, 224], [1, 2]), { kind: 'channels-last' });
  assert.deepEqual(camLayout([2, 8, 100], [2, 8, 100]), { kind: 'channels-first' });
});

const engine = new Engine({ threads: 1 });
after(() => engine.dispose());

/**
 * Conv → channels-last (Transpose) → per-channel scale → mean over H, W (ReduceMean axes 1, 2) → dense layer:
 * Swin's/ConvNeXt's layout. Grad-CAM on the channels-last tensor equals Grad-CAM on the Conv output (a positive
 * per-channel scale cancels between α and A), and with a GAP → dense head Grad-CAM = ReLU(CAM)/(h·w).
 */
test('Grad-CAM and CAM on a channels-last (N, H, W, C) head', async () => {
  const scale = ConstTensor.float32([8], [0.5, 1, 2, 3, 0.25, 1.5, 2.5, 4]);
  const file = oneNodeModel({
    op: 'Gemm', inputs: ['t3', 'fc'], attrs: { transB: attr.i(1) }, outputs: 1,
    consts: { w: c([8, 3, 3, 3]), s: scale, fc: c([5, 8]), ax: ci([1, 2]) },
    before: [
      { op: 'Conv', inputs: ['x', 'w'], attrs: { pads: attr.ints([1, 1, 1, 1]) } },
      { op: 'Transpose', inputs: ['t0'], attrs: { perm: attr.ints([0, 2, 3, 1]) } },
      { op: 'Mul', inputs: ['t1', 's'] },
      { op: 'ReduceMean', inputs: ['t2', 'ax'], attrs: { keepdims: attr.i(0) } },
    ],
    inputShape: [2, 3, 8, 8], opset: 18,
  });
  const model = engine.open(file);
  const input = { data: randn(2 * 3 * 64, rng(5)), dims: [2, 3, 8, 8] };
  const target = { kind: 'class' as const, index: [1, 4] };
  const run = async (method: string, params = {}) => (await engine.explain({ model, input, method, params, target })).relevance.data;
  // (2, 8, 8, 8) reads either way: the head's pooled axes (1, 2) say channels-last.
  const onLast = await run('grad-cam', { layer: 't2' });
  const onConv = await run('grad-cam', { layer: 't0' });
  assert.ok(relativeError(onLast, onConv) < 1e-5, `channels-last vs channels-first ${relativeError(onLast, onConv)}`);
  const byDefault = await run('grad-cam');
  assert.ok(relativeError(byDefault, onLast) < 1e-6, 'the default layer is the pooled channels-last tensor');
  const cam = await run('cam');
  // Same resolution as the input, so the upsampling is the identity and commutes with the ReLU.
  const expected = cam.map((v) => Math.max(v, 0) / 64);
  assert.ok(relativeError(onLast, expected) < 1e-5, `Grad-CAM vs ReLU(CAM)/hw ${relativeError(onLast, expected)}`);
  assert.ok(cam.some((v) => v < 0) && cam.some((v) => v > 0), 'CAM is signed');
});

/**
 * Dense (segmentation) targets on synthetic models whose predicted classes are known boxes: class:K counts only
 * where K is predicted, --region restricts to a box (mapped to a stride-2 head's grid), and the relevance equals the
 * gradient of Σ over the mask of logit K worked out by hand.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Engine } from '../../src/engine/engine';
import { FeatureVisError } from '../../src/engine/errors';
import { ConstTensor } from '../../src/engine/ir/tensor';
import { attr } from '../../src/engine/ir/graph';
import { encodeNpy } from '../../src/engine/npy';
import { mapRegion, parseRegion } from '../../src/engine/dense-targets';
import type { Region, TensorData } from '../../src/protocol/types';
import { oneNodeModel } from './onenode';
import { FIXTURES } from './helpers';

const engine = new Engine({ threads: 1 });
after(() => engine.dispose());
const ROOT = path.join(__dirname, '..', '..');

const H = 8, W = 8, K = 3;
// logits = Wx + b per pixel. Background x = (1, 0, 0) → class 0; box A (x₁ = 3) → class 1; box B (x₂ = 3) → class 2.
const WEIGHTS = [[1, 0.2, -0.1], [0.1, 1, 0.3], [-0.2, 0.1, 1]];
const BIAS = [0.5, 0, 0];
const A: Region = { y0: 1, x0: 1, y1: 4, x1: 5 };
const B: Region = { y0: 5, x0: 4, y1: 8, x1: 8 };
const inside = (r: Region, y: number, x: number) => y >= r.y0 && y < r.y1 && x >= r.x0 && x < r.x1;

function image(): TensorData {
  const data = new Float32Array(3 * H * W);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      data[y * W + x] = 1;
      if (inside(A, y, x)) data[H * W + y * W + x] = 3;
      if (inside(B, y, x)) data[2 * H * W + y * W + x] = 3;
    }
  }
  return { data, dims: [1, 3, H, W] };
}

/** 1×1 conv (output at input resolution) or a 2×2 stride-2 conv whose four taps all carry WEIGHTS (a 4×4 head). */
function segModel(stride: 1 | 2): string {
  const k = stride;
  const w = new Float32Array(K * 3 * k * k);
  for (let o = 0; o < K; o++) for (let i = 0; i < 3; i++) for (let t = 0; t < k * k; t++) w[(o * 3 + i) * k * k + t] = WEIGHTS[o][i] * (t + 1) / (k * k);
  return oneNodeModel({
    op: 'Conv', inputs: ['x', 'w', 'b'], inputShape: [1, 3, H, W],
    attrs: { kernel_shape: attr.ints([k, k]), strides: attr.ints([stride, stride]) },
    consts: { w: ConstTensor.float32([K, 3, k, k], Array.from(w)), b: ConstTensor.float32([K], BIAS) },
  });
}
const seg1 = segModel(1);
const seg2 = segModel(2);

/** The gradient of Σ_{cells in mask} logit_class w.r.t. the input, by hand for these convolutions. */
function handGradient(stride: 1 | 2, cell: (oy: number, ox: number) => number | undefined): Float32Array {
  const g = new Float32Array(3 * H * W);
  const oh = H / stride, ow = W / stride;
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      const c = cell(oy, ox);
      if (c === undefined) continue;
      for (let t = 0; t < stride * stride; t++) {
        const y = oy * stride + Math.floor(t / stride), x = ox * stride + (t % stride);
        for (let i = 0; i < 3; i++) g[i * H * W + y * W + x] += WEIGHTS[c][i] * (t + 1) / (stride * stride);
      }
    }
  }
  return g;
}

const close = (a: Float32Array, b: Float32Array, tol = 1e-5) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `element ${i}: ${a[i]} vs ${b[i]}`);
};

/** Predicted class per pixel of the 1×1 model (arg-max of the logits, computed here). */
function predicted(y: number, x: number): number {
  const v = [0, 1, 2].map((i) => (i === 0 ? 1 : inside(i === 1 ? A : B, y, x) ? 3 : 0));
  const logits = WEIGHTS.map((row, o) => row.reduce((s, wi, i) => s + wi * v[i], BIAS[o]));
  return logits.indexOf(Math.max(...logits));
}

test('the synthetic model predicts the two boxes (predict lists classes with pixel shares)', async () => {
  const [preds] = await engine.predict(engine.open(seg1), image(), 5);
  assert.deepEqual(preds.map((p) => p.index), [0, 1, 2]);
  assert.deepEqual(preds.map((p) => p.fraction), [40 / 64, 12 / 64, 12 / 64]);
  const sum = preds.reduce((s, p) => s + p.probability, 0);
  assert.ok(Math.abs(sum - 1) < 1e-6, `mean probabilities sum to 1 (${sum})`);
  assert.ok(Math.abs(preds[1].logit - 3.1) < 1e-5, 'class 1 mean logit where predicted');
  const map = await engine.denseMap(engine.open(seg1), image());
  assert.ok(map);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) assert.equal(map.classes[y * W + x], predicted(y, x));
});

test('class:K explains only where K is predicted and equals the gradient of Σ_mask logit K', async () => {
  const model = engine.open(seg1);
  const r = await engine.explain({ model, input: image(), method: 'gradient', target: { kind: 'class', index: 1 } });
  close(r.relevance.data, handGradient(1, (y, x) => (inside(A, y, x) ? 1 : undefined)));
  assert.ok(Math.abs(r.targetValue[0] - 12 * 3.1) < 1e-4, `target = Σ over box A of logit 1 (${r.targetValue[0]})`);
  assert.match(String(r.extras?.target), /class 1 where predicted: 12 px/);
  // The same as an explicit weighting built from the arg-max by hand.
  const w = new Float32Array(K * H * W);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (predicted(y, x) === 1) w[H * W + y * W + x] = 1;
  const byHand = await engine.explain({ model, input: image(), method: 'gradient', target: { kind: 'weights', tensor: 'y0', weights: { data: w, dims: [1, K, H, W] } } });
  close(r.relevance.data, byHand.relevance.data);
});

test('a region restricts the class to a box; classes and boxes change without recompiling', async () => {
  const model = engine.open(seg1);
  const region: Region = { y0: 0, x0: 3, y1: 3, x1: 8 }; // overlaps box A at rows 1–2, cols 3–4
  const r = await engine.explain({ model, input: image(), method: 'gradient', target: { kind: 'class', index: 1 }, region });
  close(r.relevance.data, handGradient(1, (y, x) => (inside(A, y, x) && inside(region, y, x) ? 1 : undefined)));
  assert.ok(Math.abs(r.targetValue[0] - 4 * 3.1) < 1e-4);
  const other = await engine.explain({ model, input: image(), method: 'gradient', target: { kind: 'class', index: 2 }, region: B });
  close(other.relevance.data, handGradient(1, (y, x) => (inside(B, y, x) ? 2 : undefined)));
  assert.equal(other.timings.compileMs, r.timings.compileMs, 'another class or box reuses the compiled session');
  // A box where the class is not predicted explains nothing and says so.
  const none = await engine.explain({ model, input: image(), method: 'gradient', target: { kind: 'class', index: 2 }, region: A });
  assert.ok(none.relevance.data.every((v) => v === 0));
  assert.match(String(none.extras?.target), /no pixel selected/);
});

test('without a target every pixel explains its own predicted class (optionally inside a region)', async () => {
  const model = engine.open(seg1);
  const all = await engine.explain({ model, input: image(), method: 'gradient' });
  close(all.relevance.data, handGradient(1, (y, x) => predicted(y, x)));
  const region: Region = { y0: 4, x0: 2, y1: 8, x1: 6 };
  const part = await engine.explain({ model, input: image(), method: 'gradient', region });
  close(part.relevance.data, handGradient(1, (y, x) => (inside(region, y, x) ? predicted(y, x) : undefined)));
});

test('on a stride-2 head the region maps to output cells and the gradient matches by hand', async () => {
  assert.deepEqual(mapRegion({ y0: 1, x0: 1, y1: 3, x1: 3 }, [8, 8], [4, 4]), { y0: 0, x0: 0, y1: 2, x1: 2 });
  assert.deepEqual(mapRegion({ y0: 7, x0: 6, y1: 8, x1: 8 }, [8, 8], [4, 4]), { y0: 3, x0: 3, y1: 4, x1: 4 });
  const model = engine.open(seg2);
  const input = image();
  const fwd = (await engine.forward(model, input)).y0;
  assert.deepEqual(fwd.dims, [1, K, 4, 4]);
  const argmax = (oy: number, ox: number) => {
    const v = [0, 1, 2].map((c) => fwd.data[c * 16 + oy * 4 + ox]);
    return v.indexOf(Math.max(...v));
  };
  const region: Region = { y0: 1, x0: 1, y1: 3, x1: 5 }; // output cells rows 0–1, cols 0–2
  const r = await engine.explain({ model, input, method: 'gradient', target: { kind: 'class', index: 1 }, region });
  const cell = (oy: number, ox: number) => (oy < 2 && ox < 3 && argmax(oy, ox) === 1 ? 1 : undefined);
  assert.ok([0, 1].some((oy) => [0, 1, 2].some((ox) => cell(oy, ox) !== undefined)), 'the box holds class-1 cells');
  close(r.relevance.data, handGradient(2, cell));
  assert.match(String(r.extras?.target), /output cells 0,0,2,3 of 4×4/);
});

test('LRP and occlusion take dense targets too (occlusion away from the mask changes nothing)', async () => {
  const model = engine.open(seg1);
  const lrp = await engine.explain({ model, input: image(), method: 'lrp-epsilon', target: { kind: 'class', index: 2 } });
  const plane = H * W;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const s = [0, 1, 2].reduce((a, c) => a + Math.abs(lrp.relevance.data[c * plane + y * W + x]), 0);
      assert.ok(inside(B, y, x) ? s > 0 : s === 0, `LRP relevance only inside box B (${y}, ${x}: ${s})`);
    }
  }
  const occ = await engine.explain({ model, input: image(), method: 'occlusion', params: { box: [1, 1], stride: [1, 1] }, target: { kind: 'class', index: 1 }, region: { y0: 0, x0: 0, y1: 8, x1: 3 } });
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const v = occ.relevance.data[y * W + x];
      assert.ok(inside(A, y, x) && x < 3 ? v !== 0 : v === 0, `occlusion map at (${y}, ${x}) = ${v}`);
    }
  }
});

async function rejects(p: Promise<unknown>, pattern: RegExp) {
  await assert.rejects(p, (e: unknown) => e instanceof FeatureVisError && e.code === 'InvalidParams' && pattern.test(e.message) && !e.message.includes('\n'));
}

test('bad regions give one clear error', async () => {
  const model = engine.open(seg1);
  const run = (region: Region, target = { kind: 'class' as const, index: 1 }) => engine.explain({ model, input: image(), method: 'gradient', target, region });
  await rejects(run({ y0: 4, x0: 0, y1: 2, x1: 8 }), /region 4,0,2,8 is empty or inverted/);
  await rejects(run({ y0: 0, x0: 0, y1: 9, x1: 8 }), /region 0,0,9,8 lies outside the 8×8 input/);
  await rejects(engine.explain({ model, input: image(), method: 'gradient', target: { kind: 'unit', tensor: 'y0', channel: 0, y: 1, x: 1 }, region: A }), /single-neuron/);
  const convnet = engine.open(path.join(FIXTURES, 'convnet', 'model.onnx'));
  const x = { data: new Float32Array(convnet.inputShapeFor(1).reduce((a, b) => a * b, 1)), dims: convnet.inputShapeFor(1) };
  await rejects(engine.explain({ model: convnet, input: x, method: 'gradient', region: A }), /a region needs a spatial output/);
  assert.throws(() => parseRegion('1,2,3'), /four whole numbers/);
  assert.throws(() => parseRegion('1,2,3,x'), /four whole numbers/);
  assert.deepEqual(parseRegion('1, 2,3,4'), { y0: 1, x0: 2, y1: 3, x1: 4 });
});

test('CLI: --region restricts the target; a bad region exits 2 with one line', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'featurevis-dense-'));
  const input = path.join(tmp, 'x.npy');
  fs.writeFileSync(input, encodeNpy(image()));
  const cli = path.join(ROOT, 'src', 'cli', 'main.ts');
  const run = (...extra: string[]) => spawnSync(process.execPath, ['--import', 'tsx', cli, 'explain', '--model', seg1, '--input', input, '--method', 'gradient', '--target', 'class:1', '--out', path.join(tmp, 'g.npy'), '--threads', '1', ...extra], { encoding: 'utf8', cwd: ROOT });
  const ok = run('--region', '0,3,3,8');
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /class 1 where predicted in region 0,3,3,8: 4 px, target value 12\.400/);
  const bad = run('--region', '0,0,9,9');
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.match(bad.stderr, /^featurevis: region 0,0,9,9 lies outside the 8×8 input/);
  const inverted = run('--region', '3,3,1,8');
  assert.equal(inverted.status, 2);
  assert.match(inverted.stderr, /^featurevis: region 3,3,1,8 is empty or inverted/);
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Reconstruction: priors, parameterisations, transforms (by hand and finite differences) and activation maximisation. */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { lpNorm, totalVariation, regularize } from '../../src/engine/reconstruct/regularizers';
import { fft2 } from '../../src/engine/reconstruct/fft';
import { makeParam } from '../../src/engine/reconstruct/param';
import { Rng } from '../../src/engine/reconstruct/rng';
import { applyAffine, applyAffineAdjoint, randomAffine } from '../../src/engine/reconstruct/transforms';
import { Adam, Momentum } from '../../src/engine/reconstruct/optim';
import { defaultPreprocessing } from '../../src/engine/preprocess';
import { FIXTURES } from './helpers';

const engine = new Engine({ threads: 1 });
after(() => engine.dispose());
const CONVNET = path.join(FIXTURES, 'convnet', 'model.onnx');

function randn(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.normal());
}

/** Central finite difference of f at a few coordinates against the analytic gradient. */
function checkGrad(f: (x: Float32Array) => number, x: Float32Array, grad: Float32Array, tol = 1e-3, h = 1e-3): void {
  const x64 = Float32Array.from(x);
  for (const i of [0, 1, Math.floor(x.length / 2), x.length - 1, 7 % x.length]) {
    const a = Float32Array.from(x64);
    const b = Float32Array.from(x64);
    a[i] += h;
    b[i] -= h;
    const fd = (f(a) - f(b)) / (2 * h);
    assert.ok(Math.abs(fd - grad[i]) <= tol * Math.max(1, Math.abs(fd)), `coordinate ${i}: finite difference ${fd} vs analytic ${grad[i]}`);
  }
}

test('Lp norm: hand example and gradient', () => {
  const x = Float32Array.of(1, -2, 0.5, 0);
  const g = new Float32Array(4);
  assert.equal(lpNorm(x, 2, g), 1 + 4 + 0.25);
  assert.deepEqual([...g], [2, -4, 1, 0]);
  const g3 = new Float32Array(4);
  assert.ok(Math.abs(lpNorm(x, 3, g3) - (1 + 8 + 0.125)) < 1e-9);
  assert.deepEqual([...g3], [3, -12, 0.75, 0]);
  const y = randn(20, 1);
  const gy = new Float32Array(20);
  lpNorm(y, 6, gy);
  checkGrad((z) => lpNorm(z, 6), y, gy, 2e-3);
});

test('total variation: hand example and gradient', () => {
  // 2×2 plane [[0, 1], [2, 4]]: (0,0): a=1, b=2 → 5; (0,1): a=0, b=3 → 9; (1,0): a=2 → 4; (1,1): 0.
  const x = Float32Array.of(0, 1, 2, 4);
  const g = new Float32Array(4);
  const v = totalVariation(x, [1, 1, 2, 2], 2, g, 1, 0);
  assert.ok(Math.abs(v - 18) < 1e-9, `TV₂ = ${v}`);
  // ∂/∂x00 = −2(a+b) = −6; x01: 2·1 − 2·3 = −4; x10: 2·2 − 2·2 = 0; x11: 2·3 + 2·2 = 10.
  assert.deepEqual([...g], [-6, -4, 0, 10]);
  const v1 = totalVariation(x, [1, 1, 2, 2], 1, undefined, 1, 0);
  assert.ok(Math.abs(v1 - (Math.sqrt(5) + 3 + 2)) < 1e-6);
  for (const beta of [1, 1.5, 2]) {
    const y = randn(2 * 3 * 5 * 4, 2);
    const gy = new Float32Array(y.length);
    totalVariation(y, [2, 3, 5, 4], beta, gy);
    checkGrad((z) => totalVariation(z, [2, 3, 5, 4], beta), y, gy, 2e-3);
  }
  const y = randn(3 * 4 * 4, 3);
  const gy = new Float32Array(y.length);
  const s = { lpWeight: 0.3, lpAlpha: 6, tvWeight: 2, tvBeta: 1.5 };
  regularize(y, [1, 3, 4, 4], s, gy, 2, 0.5);
  checkGrad((z) => regularize(z, [1, 3, 4, 4], s, undefined, 2, 0.5), y, gy, 2e-3);
});

test('FFT: unitary round trip, agrees with a direct DFT for a mixed-radix size', () => {
  const h = 6;
  const w = 14;
  const re = Float64Array.from(randn(h * w, 4));
  const im = Float64Array.from(randn(h * w, 5));
  const r0 = Float64Array.from(re);
  const i0 = Float64Array.from(im);
  fft2(re, im, h, w, false);
  // Direct DFT of coefficient (2, 3).
  let sr = 0;
  let si = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const a = -2 * Math.PI * ((2 * y) / h + (3 * x) / w);
    sr += r0[y * w + x] * Math.cos(a) - i0[y * w + x] * Math.sin(a);
    si += r0[y * w + x] * Math.sin(a) + i0[y * w + x] * Math.cos(a);
  }
  const k = 1 / Math.sqrt(h * w);
  assert.ok(Math.abs(re[2 * w + 3] - sr * k) < 1e-9 && Math.abs(im[2 * w + 3] - si * k) < 1e-9);
  fft2(re, im, h, w, true);
  for (let i = 0; i < h * w; i++) assert.ok(Math.abs(re[i] - r0[i]) < 1e-9 && Math.abs(im[i] - i0[i]) < 1e-9);
});

test('parameterisations: backward is the adjoint of image() (finite differences)', () => {
  const dims = [1, 3, 6, 10];
  const pre = defaultPreprocessing(dims);
  for (const [fourier, decorrelate] of [[true, true], [true, false], [false, true]]) {
    const param = makeParam({ dims, pre, fourier, decorrelate, rng: new Rng(1), initStd: 0.5 });
    const gx = randn(180, 9);
    const loss = () => param.image().reduce((a, v, i) => a + v * gx[i], 0);
    param.image();
    const gp = Float32Array.from(param.backward(gx));
    const p0 = Float32Array.from(param.params);
    checkGrad((p) => {
      param.params.set(p);
      const v = loss();
      param.params.set(p0);
      return v;
    }, p0, gp, 2e-3);
  }
});

test('affine transforms: the adjoint satisfies ⟨Ax, g⟩ = ⟨x, Aᵀg⟩', () => {
  const dims = [2, 3, 9, 11];
  const rng = new Rng(3);
  const maps = [randomAffine({ jitter: 2, scale: [0.9, 1.1], rotateDeg: 10 }, rng), randomAffine({ jitter: 2, scale: [0.9, 1.1], rotateDeg: 10 }, rng)];
  const x = randn(dims.reduce((a, b) => a * b), 1);
  const g = randn(x.length, 2);
  const ax = applyAffine(x, dims, maps);
  const atg = applyAffineAdjoint(g, dims, maps);
  const lhs = ax.reduce((a, v, i) => a + v * g[i], 0);
  const rhs = x.reduce((a, v, i) => a + v * atg[i], 0);
  assert.ok(Math.abs(lhs - rhs) < 1e-3 * Math.abs(lhs), `${lhs} vs ${rhs}`);
});

test('optimisers minimise a quadratic', () => {
  for (const opt of [new Adam(3), new Momentum(3)]) {
    const p = Float32Array.of(3, -2, 1);
    for (let i = 0; i < 300; i++) opt.step(p, Float32Array.from(p, (v) => 2 * v), opt instanceof Adam ? 0.05 : 0.02);
    assert.ok(Math.hypot(...p) < 0.1, `${opt.constructor.name}: ${[...p]}`);
  }
});

test('activation-max raises a channel well above its start (convnet fixture)', async () => {
  const model = engine.open(CONVNET);
  const input = { data: new Float32Array(3 * 24 * 24), dims: [1, 3, 24, 24] };
  const partials: number[] = [];
  const r = await engine.explain({
    model, input, method: 'activation-max', target: { kind: 'unit', tensor: '/relu2/Relu_output_0', channel: 2 },
    params: { steps: 60, lr: 0.05, 'tv-weight': 0.01, every: 20, seed: 1 },
  }, undefined, (p) => p.partial && partials.push(p.fraction!));
  const start = (r.extras!.initial_target as number[])[0];
  const end = r.targetValue[0];
  assert.deepEqual(r.relevance.dims, [1, 3, 24, 24]);
  assert.equal(partials.length, 3);
  assert.ok(end >= 3 * Math.max(start, 0.1) && end - start > 1, `start ${start}, end ${end}`);
  const trace = r.extras!.objective as number[];
  assert.equal(trace.length, 60);
});

test('activation-max: a batched gallery of units, Fourier + colour + transforms, seeded', async () => {
  const model = engine.open(CONVNET);
  const input = { data: new Float32Array(3 * 24 * 24), dims: [1, 3, 24, 24] };
  const params = { steps: 40, units: '0-3', fourier: true, decorrelate: true, transforms: true, seed: 5 };
  const run = () => engine.explain({ model, input, method: 'activation-max', target: { kind: 'class', index: 0 }, params });
  const r = await run();
  assert.deepEqual(r.relevance.dims, [4, 3, 24, 24]);
  const start = r.extras!.initial_target as number[];
  r.targetValue.forEach((v, i) => assert.ok(v > start[i] + 0.1, `class ${i}: ${start[i]} → ${v}`));
  const again = await run();
  assert.deepEqual([...again.relevance.data.slice(0, 50)], [...r.relevance.data.slice(0, 50)]);
});

test('activation-max: bad targets and cancellation', async () => {
  const model = engine.open(CONVNET);
  const input = { data: new Float32Array(3 * 24 * 24), dims: [1, 3, 24, 24] };
  await assert.rejects(engine.explain({ model, input, method: 'activation-max', target: { kind: 'unit', tensor: 'nope', channel: 0 }, params: { steps: 2 } }), /no tensor named 'nope'/);
  await assert.rejects(engine.explain({ model, input, method: 'activation-max', target: { kind: 'unit', tensor: '/relu2/Relu_output_0', channel: 99 }, params: { steps: 2 } }), /out of range/);
  await assert.rejects(engine.explain({ model, input, method: 'activation-max', target: { kind: 'class', index: 0 }, params: { steps: 2 } }, { isCancellationRequested: true }), /cancelled/);
});

test('invert: the first conv of the default model on chelsea reaches normalised feature error ≤ 0.1', async () => {
  const { loadImageFile } = await import('../../src/engine/preprocess');
  const model = engine.open();
  const input = loadImageFile(path.join(__dirname, '..', '..', 'assets', 'samples', 'chelsea.png'), model.preprocessing());
  const r = await engine.explain({ model, input, method: 'invert', target: { kind: 'class', index: 0 }, params: { layer: '/_conv_stem/Conv_output_0', steps: 60 } });
  const err = (r.extras!.feature_error as number[])[0];
  assert.ok(err <= 0.1, `feature error ${err}`);
  const trace = r.extras!.error_trace as number[];
  assert.ok(trace[0] > 0.5 && trace[trace.length - 1] < trace[0] / 5);
  assert.deepEqual(r.relevance.dims, [1, 3, 224, 224]);
  await assert.rejects(engine.explain({ model, input, method: 'invert', target: { kind: 'class', index: 0 }, params: { layer: 'missing', steps: 2 } }), /no tensor named 'missing'/);
  await assert.rejects(engine.explain({ model, input, method: 'invert', target: { kind: 'class', index: 0 }, params: { steps: 2 } }), /layer is required/);
});

test('patch-replace: k = 1 at the first layer rebuilds a database image exactly; cache reused and invalidated', async () => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const { loadImageFile } = await import('../../src/engine/preprocess');
  const images = path.join(FIXTURES, 'reconstruct', 'images');
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-patch-'));
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-db-'));
  for (const f of fs.readdirSync(images).slice(0, 8)) fs.copyFileSync(path.join(images, f), path.join(folder, f));
  fs.writeFileSync(path.join(folder, 'notes.txt'), 'not an image');
  fs.writeFileSync(path.join(folder, 'broken.png'), 'not a png either');
  try {
    const model = engine.open(CONVNET);
    const query = fs.readdirSync(folder).filter((f) => f.endsWith('.png') && f !== 'broken.png')[3];
    const input = loadImageFile(path.join(folder, query), model.preprocessing());
    const params = { layer: '/conv1/Conv_output_0', database: folder, k: 1, 'cache-dir': cacheDir };
    const r = await engine.explain({ model, input, method: 'patch-replace', target: { kind: 'class', index: 0 }, params });
    assert.match(String(r.extras!.note), /skipped notes\.txt/);
    assert.match(String(r.extras!.note), /skipped broken\.png/);
    assert.equal(r.extras!.receptive_field, '3×3 px, stride 1×1, offset -1,-1');
    let maxErr = 0;
    for (let i = 0; i < input.data.length; i++) maxErr = Math.max(maxErr, Math.abs(r.relevance.data[i] - input.data[i]));
    assert.ok(maxErr < 1e-5, `max pixel error ${maxErr}`);
    assert.equal(r.extras!.cached, 'no');
    const again = await engine.explain({ model, input, method: 'patch-replace', target: { kind: 'class', index: 0 }, params: { ...params, k: 3 } });
    assert.equal(again.extras!.cached, 'yes');
    fs.copyFileSync(path.join(images, fs.readdirSync(images)[10]), path.join(folder, 'added.png'));
    const third = await engine.explain({ model, input, method: 'patch-replace', target: { kind: 'class', index: 0 }, params });
    assert.equal(third.extras!.cached, 'no');
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-empty-'));
    await assert.rejects(engine.explain({ model, input, method: 'patch-replace', target: { kind: 'class', index: 0 }, params: { ...params, database: empty } }), /no PNG or JPEG images/);
    await assert.rejects(engine.explain({ model, input, method: 'patch-replace', target: { kind: 'class', index: 0 }, params: { ...params, database: path.join(folder, 'nope') } }), /cannot read the image folder/);
    fs.rmSync(empty, { recursive: true });
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
    fs.rmSync(folder, { recursive: true, force: true });
  }
});

test('patch-replace at a deep layer with the default database cap allocates for the positions there are, not for the cap', async () => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const { defaultModelPath } = await import('../../src/engine/engine');
  const { loadImageFile } = await import('../../src/engine/preprocess');
  const images = path.join(FIXTURES, 'reconstruct', 'images');
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-patch-'));
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-db-'));
  for (const f of fs.readdirSync(images).slice(0, 2)) fs.copyFileSync(path.join(images, f), path.join(folder, f));
  try {
    const model = engine.open(defaultModelPath());
    const layers = await engine.layers(model);
    // The last feature map: its receptive field is the whole image, so a patch is 3×224×224 (50 000 of them: 30 GB).
    const deep = [...layers].reverse().find((l) => l.shape.length === 4 && l.shape[2] > 1)!;
    const input = loadImageFile(path.join(folder, fs.readdirSync(folder)[0]), model.preprocessing());
    const r = await engine.explain({ model, input, method: 'patch-replace', target: { kind: 'class', index: 0 }, params: { layer: deep.tensor, database: folder, 'cache-dir': cacheDir } });
    assert.deepEqual(r.relevance.dims, input.dims);
    assert.ok(r.relevance.data.every(Number.isFinite));
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
    fs.rmSync(folder, { recursive: true, force: true });
  }
});

/**
 * The display pipeline (src/protocol/render.ts): signs and clipping against Captum's own helpers (references written
 * by tools/make_display_refs.py), every mode on small maps with pixels worked out by hand, and maps resampled back
 * onto a non-square original image through the preprocessing's resize and crop.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applySign, clipThreshold, defaultDisplay, normalise, offsetPlane, paintMap, renderRelevance, rgbImage, sharedThreshold, toFrame, type DisplayOptions, type DisplaySign } from '../../src/protocol/render';
import { Engine } from '../../src/engine/engine';
import { imageToTensor, inputFrame, type Preprocessing } from '../../src/engine/preprocess';
import { FIXTURES } from './helpers';
import { oneNodeModel } from './onenode';

interface Ref { captum: string; cases: { name: string; height: number; width: number; data: number[]; signs: { sign: DisplaySign; outlier_perc: number; threshold: number; percentile_threshold: number; normalised: number[] }[] }[] }
const ref = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'display', 'captum.json'), 'utf8')) as Ref;

for (const c of ref.cases) {
  test(`signs and cumulative-mass clipping equal Captum ${ref.captum} on the ${c.name} map`, () => {
    const plane = { width: c.width, height: c.height, data: Float32Array.from(c.data) };
    assert.ok(c.signs.length >= 9);
    for (const s of c.signs) {
      const what = `${s.sign}, outlier_perc ${s.outlier_perc}`;
      assert.equal(clipThreshold(applySign(plane.data, s.sign), { by: 'mass', percent: s.outlier_perc }), s.threshold, what);
      const pct = clipThreshold(applySign(plane.data, s.sign), { by: 'percentile', percent: s.outlier_perc });
      assert.ok(Math.abs(pct - s.percentile_threshold) <= 1e-12 * s.percentile_threshold, `${what}: percentile ${pct} vs numpy ${s.percentile_threshold}`);
      const n = normalise(plane, s.sign, { by: 'mass', percent: s.outlier_perc });
      s.normalised.forEach((v, i) => assert.ok(Math.abs(n.data[i] - v) < 1e-6, `${what}: pixel ${i} ${n.data[i]} vs ${v}`));
    }
  });
}

const line = (...v: number[]) => ({ width: v.length, height: 1, data: Float32Array.from(v) });
const px = (r: { data: ArrayLike<number> }, i: number) => Array.from(r.data).slice(4 * i, 4 * i + 3);
const photo = (rgb: number[], n: number) => ({ width: n, height: 1, data: Uint8ClampedArray.from({ length: 4 * n }, (_, i) => (i % 4 === 3 ? 255 : rgb[i % 4])) });
const opts = { opacity: 0.5, outlineTop: 20 };

test('heatmap: the diverging map for both signs (blue −, white 0, red +), opaque, and its colour-bar range', () => {
  const r = paintMap(normalise(line(-2, 0, 2), 'all', { by: 'mass', percent: 0 }, 2), 'heatmap', 'all', undefined, opts);
  assert.deepEqual([px(r, 0), px(r, 1), px(r, 2)], [[33, 102, 172], [247, 247, 247], [178, 24, 43]]);
  assert.deepEqual(Array.from(r.data).filter((_, i) => i % 4 === 3), [255, 255, 255]);
  assert.deepEqual(r.range, [-2, 2]);
});

test('negative sign: magnitudes of the negative part (Captum divides by −threshold), on the sequential map', () => {
  const n = normalise(line(-4, -1, 3), 'negative', { by: 'mass', percent: 0 });
  // |negative part| sorted 0, 1, 4: the cumulative sum first reaches 100 % of 5 at 4.
  assert.equal(n.threshold, 4);
  assert.deepEqual(Array.from(n.data), [1, 0.25, 0]);
  const r = paintMap(n, 'heatmap', 'negative', undefined, opts);
  assert.deepEqual(px(r, 0), [252, 255, 164]);
  assert.deepEqual(r.range, [-4, 0]);
});

test('bw: black-and-white magnitude; masked: photo × |v|; alpha: photo over white by |v|', () => {
  const n = normalise(line(0, 1, 4), 'absolute', { by: 'mass', percent: 0 }, 4);
  const bw = paintMap(n, 'bw', 'absolute', undefined, opts);
  assert.deepEqual([px(bw, 0), px(bw, 1), px(bw, 2)], [[0, 0, 0], [64, 64, 64], [255, 255, 255]]);
  const p = photo([200, 100, 50], 3);
  const masked = paintMap(n, 'masked', 'absolute', p, opts);
  // 50 · 0.25 = 12.5 rounds to even in a Uint8ClampedArray.
  assert.deepEqual([px(masked, 0), px(masked, 1), px(masked, 2)], [[0, 0, 0], [50, 25, 12], [200, 100, 50]]);
  const alpha = paintMap(n, 'alpha', 'absolute', p, opts);
  // 200·0.25 + 255·0.75 = 241.25; 100·0.25 + 191.25 = 216.25; 50·0.25 + 191.25 = 203.75.
  assert.deepEqual(px(alpha, 1), [241, 216, 204]);
  assert.deepEqual(px(alpha, 0), [255, 255, 255]);
});

test('blend: sequential maps cover the photo at the opacity; diverging ones fade by √|v|', () => {
  const p = photo([100, 100, 100], 2);
  const heat = paintMap(normalise(line(0, 2), 'positive', { by: 'mass', percent: 0 }, 2), 'blend', 'positive', p, opts);
  // v = 1 → heat's top stop (252, 255, 164), half over the photo.
  assert.deepEqual(px(heat, 1), [176, 178, 132]);
  const signed = paintMap(normalise(line(-0.25, 1), 'all', { by: 'mass', percent: 0 }, 1), 'blend', 'all', p, opts);
  // v = 1: a = 0.5 → red (178, 24, 43) half over grey; v = −0.25: a = 0.5·√0.25 = 0.25 over the colour at −0.25.
  assert.deepEqual(px(signed, 1), [139, 62, 72]);
  const c = [(103 + 247) / 2, (169 + 247) / 2, (207 + 247) / 2];
  assert.deepEqual(px(signed, 0), c.map((v) => Math.round(100 * 0.75 + v * 0.25)));
});

test('outline: the border of the top region in yellow, the region as is, the rest dimmed', () => {
  const data = new Float32Array(25);
  for (let y = 1; y <= 3; y++) for (let x = 1; x <= 3; x++) data[y * 5 + x] = 1;
  const p = { width: 5, height: 5, data: Uint8ClampedArray.from({ length: 100 }, (_, i) => (i % 4 === 3 ? 255 : 200)) };
  const r = paintMap(normalise({ width: 5, height: 5, data }, 'absolute', { by: 'mass', percent: 0 }), 'outline', 'absolute', p, { opacity: 0.5, outlineTop: 36 });
  assert.deepEqual(px(r, 12), [200, 200, 200], 'inside');
  for (const i of [6, 7, 8, 11, 13, 16, 17, 18]) assert.deepEqual(px(r, i), [255, 214, 0], `edge ${i}`);
  assert.deepEqual(px(r, 0), [110, 110, 110], 'outside: 200·0.55');
});

test('rgb: each channel clipped on its own around mid-grey (guided backprop as an image)', () => {
  const rel = { dims: [1, 3, 1, 2], data: Float32Array.from([1, -1, 0.5, 0.25, -2, 2]) };
  const r = rgbImage(rel, { by: 'mass', percent: 0 });
  // R: threshold 1 → ±1; G: threshold 0.5 → 1, 0.5; B: threshold 2 → ∓1.
  assert.deepEqual(px(r, 0), [255, 255, 0]);
  assert.deepEqual(px(r, 1), [0, 191, 255]);
});

test('pixels outside the input (NaN after resampling) are hatched, not painted as zero relevance', () => {
  const r = paintMap(normalise(line(Number.NaN, 1), 'absolute', { by: 'mass', percent: 0 }), 'heatmap', 'absolute', undefined, opts);
  assert.ok([48, 96].includes(r.data[0]));
  assert.deepEqual(px(r, 1), [252, 255, 164]);
});

test('toFrame: bilinear at pixel centres inside the input box, NaN outside it', () => {
  const out = toFrame({ width: 2, height: 2, data: Float32Array.from([1, 2, 3, 4]) }, { width: 6, height: 2, x0: 1, y0: 0, x1: 5, y1: 2 });
  assert.deepEqual(Array.from(out.data.subarray(0, 6)), [NaN, 1, 1.25, 1.75, 2, NaN]);
  assert.deepEqual(Array.from(out.data.subarray(6, 12)), [NaN, 3, 3.25, 3.75, 4, NaN]);
});

test('one shared scale: the threshold of all maps together', () => {
  const t = sharedThreshold([line(1, 1), line(2, 6)], 'absolute', { by: 'mass', percent: 0 });
  assert.equal(t, 6);
  const r = renderRelevance({ dims: [1, 1, 1, 2], data: Float32Array.from([3, 6]) }, { mode: 'bw', sign: 'absolute', clip: { by: 'mass', percent: 0 }, reduction: 'sum', opacity: 1, outlineTop: 20, threshold: 12 } as DisplayOptions);
  assert.deepEqual([r.data[0], r.data[4]], [64, 128]);
});

const engine = new Engine({ threads: 1 });
after(() => engine.dispose());

for (const resize of [{ mode: 'stretch' as const }, { mode: 'shorter-side' as const, size: 64, crop: 48 }]) {
  test(`a map whose relevance is a known box lands on that box of a 120×80 original (${resize.mode})`, async () => {
    // The original: black with a white box; the "model" is Σx², so the gradient explanation is 2x, bright on the box.
    const [W, H] = [120, 80];
    const box = { x0: 50, y0: 30, x1: 74, y1: 54 };
    const img = { width: W, height: H, data: new Uint8Array(W * H * 4) };
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const on = x >= box.x0 && x < box.x1 && y >= box.y0 && y < box.y1 ? 255 : 0;
      img.data.set([on, on, on, 255], (y * W + x) * 4);
    }
    const size: [number, number] = resize.mode === 'stretch' ? [40, 56] : [48, 48];
    const pre: Preprocessing = { size, resize, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], channels: 'RGB', layout: 'NCHW' };
    const input = imageToTensor(img, pre);
    const model = engine.open(oneNodeModel({ op: 'ReduceSumSquare', inputs: ['x'], attrs: {}, inputShape: [1, 3, size[0], size[1]] }));
    const target = { kind: 'weights' as const, tensor: 'y0', weights: { data: Float32Array.of(1), dims: [1, 1, 1, 1] } };
    const rel = (await engine.explain({ model, input, method: 'gradient', target })).relevance;
    const frame = inputFrame(pre, W, H);
    const r = renderRelevance(rel, { mode: 'bw', sign: 'positive', clip: { by: 'mass', percent: 0 }, reduction: 'sum', opacity: 1, outlineTop: 20 }, undefined, frame);
    assert.deepEqual([r.width, r.height], [W, H]);
    let inter = 0, union = 0, cx = 0, cy = 0;
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const bright = r.data[(y * W + x) * 4] > 128;
      const truth = x >= box.x0 && x < box.x1 && y >= box.y0 && y < box.y1;
      if (bright && truth) inter++;
      if (bright || truth) union++;
      if (bright) { cx += x + 0.5; cy += y + 0.5; }
    }
    const n = r.data.filter((v, i) => i % 4 === 0 && v > 128).length;
    // Two bilinear resamplings blur the edges by a pixel or so; a wrong frame would shift or stretch the box.
    assert.ok(inter / union > 0.75, `IoU of the bright region with the box: ${(inter / union).toFixed(3)}`);
    assert.ok(Math.abs(cx / n - 62) < 1 && Math.abs(cy / n - 42) < 1, `centre ${(cx / n).toFixed(2)}, ${(cy / n).toFixed(2)} vs 62, 42`);
    if (resize.mode === 'shorter-side') {
      // 120×80 → shorter side 64 → 96×64, centre crop 48×48: x from 24 to 72 of 96, i.e. 30…90 in the original.
      assert.deepEqual([frame.x0, frame.x1, frame.y0, frame.y1], [30, 90, 10, 70]);
      const hatchedLeft = r.data[(40 * W + 5) * 4];
      assert.ok([48, 96].includes(hatchedLeft), 'the cropped-away border is hatched');
    }
  });
}

test('offset min: the scale starts at the map minimum (RISE: all positive with a large offset)', () => {
  const p = { width: 3, height: 1, data: Float32Array.from([0.4, 0.5, NaN]) };
  const o = offsetPlane(p, 'min');
  // 0.4 − 0.4 = 0, 0.5 − 0.4 = 0.1 (float32), NaN stays NaN.
  assert.equal(o.data[0], 0);
  assert.ok(Math.abs(o.data[1] - 0.1) < 1e-6);
  assert.ok(Number.isNaN(o.data[2]));
  assert.equal(offsetPlane(p, 'zero'), p, 'zero: the plane itself');
  const d = defaultDisplay({ id: 'rise', family: 'occlusion', output: 'map' });
  assert.equal(d.offset, 'min');
  // A map 0.40 … 0.41: from zero every pixel saturates near the top; from the minimum the smallest is 0 and the largest 1.
  const rel = { data: Float32Array.from([0.4, 0.405, 0.41, 0.4]), dims: [1, 1, 2, 2] };
  const fromZero = renderRelevance(rel, { ...d, offset: 'zero', mode: 'heatmap', clip: { by: 'percentile', percent: 0 } });
  const fromMin = renderRelevance(rel, { ...d, mode: 'heatmap', clip: { by: 'percentile', percent: 0 } });
  assert.ok(Math.abs(fromZero.threshold - 0.41) < 1e-6);
  assert.ok(Math.abs(fromMin.threshold - 0.01) < 1e-6, `threshold above the minimum: ${fromMin.threshold}`);
  assert.notDeepEqual([...fromMin.data.subarray(0, 4)], [...fromMin.data.subarray(8, 12)], 'the lowest and highest pixels differ in colour');
});

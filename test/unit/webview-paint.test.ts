// The webview's pure paint module: expected pixels are derived here by hand from the definitions (99.5th
// percentile scale, colour-map stops, alpha blend, HSL class colours), not taken from the code's output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classColour, filterPixels, maskPixels, paintResult, pickColorMap, reconstructionPixels, reduceForDisplay, COLOR_MAP_CHOICES } from '../../webview-ui/paint';
import { COLOR_MAPS } from '../../src/protocol/display';

const t = (dims: number[], data: number[]) => ({ dims, data: Float32Array.from(data) });
/** A 1-row preview of `n` pixels, all (100, 40, 200). */
const preview = (n: number) => ({ width: n, height: 1, data: Uint8Array.from({ length: 4 * n }, (_, i) => [100, 40, 200, 255][i % 4]) });
const px = (d: ArrayLike<number>, i: number) => Array.from(d).slice(4 * i, 4 * i + 4);

test('paint: gray map, scale = 99.5th percentile of |v|, blended over the preview at the opacity', () => {
  // |v| sorted [0, 1, 3, 4]: index floor(0.995 · 4) = 3 → scale 4; gray = 255 · v / 4 = 0, 63.75, 191.25, 255.
  const p = paintResult(t([1, 1, 1, 4], [0, 1, 3, 4]), 'input', { reduction: 'sum', cmap: 'gray', opacity: 0.25 }, preview(4));
  assert.equal(p.kind, 'heatmap');
  if (p.kind !== 'heatmap') return;
  assert.equal(p.scale, 4);
  assert.equal(p.cmap, 'gray');
  assert.deepEqual(px(p.colours.data, 1), [64, 64, 64, 255]);
  assert.deepEqual(px(p.colours.data, 2), [191, 191, 191, 255]);
  // Opaque map, opacity 0.25: out = 0.75 · (100, 40, 200) + 0.25 · grey.
  assert.ok(p.blended);
  assert.deepEqual(px(p.blended!.data, 0), [75, 30, 150, 255]);
  assert.deepEqual(px(p.blended!.data, 1), [75 + 16, 30 + 16, 150 + 16, 255]);
  assert.deepEqual(px(p.blended!.data, 2), [Math.round(75 + 47.75), Math.round(30 + 47.75), Math.round(150 + 47.75), 255]);
  assert.deepEqual(px(p.blended!.data, 3), [Math.round(75 + 63.75), Math.round(30 + 63.75), Math.round(150 + 63.75), 255]);
});

test('paint: signed map is blue–white–red with alpha √|v|; zero relevance leaves the photo untouched', () => {
  // |v| sorted [0, 1, 8, 8] → scale 8; v/scale = −1, 0, 0.125, 1.
  const p = paintResult(t([1, 1, 1, 4], [-8, 0, 1, 8]), 'input', { reduction: 'sum', cmap: 'signed', opacity: 1 }, preview(4));
  if (p.kind !== 'heatmap') return assert.fail('a heatmap');
  assert.deepEqual(px(p.colours.data, 0), [33, 102, 172, 255], 'the −1 stop, opaque');
  assert.deepEqual(px(p.colours.data, 3), [178, 24, 43, 255], 'the +1 stop, opaque');
  // 0.125 lies a quarter of the way from the 0 stop (247, 247, 247) to the 0.5 stop (239, 138, 98); alpha 255 · √0.125.
  assert.deepEqual(px(p.colours.data, 2), [245, 220, 210, Math.round(255 * Math.sqrt(0.125))]);
  assert.equal(p.colours.data[4 + 3], 0, 'zero is transparent');
  assert.deepEqual(px(p.blended!.data, 1), [100, 40, 200, 255], 'the photo shows through at 0');
  assert.deepEqual(px(p.blended!.data, 0), [33, 102, 172, 255], 'full opacity at |v| = scale');
});

test('paint: auto colour map is heat for one-signed data, signed otherwise', () => {
  const mixed = Float32Array.from([-1, 2]);
  assert.equal(pickColorMap('auto', 'input', 'sum', mixed), 'signed');
  assert.equal(pickColorMap('auto', 'map', 'sum', mixed), 'heat', 'CAM-style maps');
  assert.equal(pickColorMap('auto', 'input', 'abs-sum', mixed), 'heat', 'a |·| reduction');
  assert.equal(pickColorMap('auto', 'input', 'sum', Float32Array.from([0, 2])), 'heat', 'non-negative values');
  assert.equal(pickColorMap('gray', 'input', 'sum', mixed), 'gray', 'an explicit choice wins');
  assert.deepEqual(COLOR_MAP_CHOICES, ['auto', ...COLOR_MAPS]);
});

test('paint: channel reductions; one-channel maps are summed whatever the reduction', () => {
  // Channel 0 = [1, −3], channel 1 = [2, 1].
  const rel = t([1, 2, 1, 2], [1, -3, 2, 1]);
  const size = { width: 2, height: 1 };
  assert.deepEqual([...reduceForDisplay(rel, 'sum', size).data], [3, -2]);
  assert.deepEqual([...reduceForDisplay(rel, 'abs-sum', size).data], [3, 4]);
  assert.deepEqual([...reduceForDisplay(rel, 'max-abs', size).data], [2, 3], '|the channel with the largest |v||');
  assert.deepEqual([...reduceForDisplay(t([1, 1, 1, 2], [-1, 2]), 'abs-sum', size).data], [-1, 2]);
  const flat = reduceForDisplay(t([4], [1, 2, 3, 4]), 'sum', { width: 2, height: 2 });
  assert.deepEqual([flat.height, flat.width], [2, 2], 'other shapes take the preview size');
});

test('paint: a map smaller than the preview is left for the canvas to scale (no blend at the wrong size)', () => {
  const p = paintResult(t([1, 1, 1, 2], [1, 2]), 'map', { reduction: 'sum', cmap: 'auto', opacity: 0.4 }, preview(4));
  if (p.kind !== 'heatmap') return assert.fail('a heatmap');
  assert.equal(p.blended, undefined);
  assert.deepEqual([p.colours.width, p.colours.height, p.colours.data.length], [2, 1, 8]);
  assert.equal(p.opacity, 0.4);
  assert.equal(p.cmap, 'heat');
});

test('paint: reconstructions are min–max normalised RGB, no overlay', () => {
  // R = [0, 10], G = [5, 10], B = [10, 0]: lo 0, hi 10.
  const img = t([1, 3, 1, 2], [0, 10, 5, 10, 10, 0]);
  const p = paintResult(img, 'image', { reduction: 'sum', cmap: 'auto', opacity: 0.5 }, preview(2));
  assert.equal(p.kind, 'image');
  const r = reconstructionPixels(img);
  assert.deepEqual([...r.data], [0, 128, 255, 255, 255, 255, 0, 255]);
  assert.deepEqual([...reconstructionPixels(t([1, 1, 1, 2], [2, 4])).data], [0, 0, 0, 255, 255, 255, 255, 255], 'one channel is grey');
});

test('paint: filters are scaled to their own ±max around mid-grey', () => {
  // Two 1 × 1 × 2 filters: [0.5, −1] (max 1) and [2, 0] (max 2).
  const w = t([2, 1, 1, 2], [0.5, -1, 2, 0]);
  const g = (v: number) => [v, v, v, 255];
  assert.deepEqual([...filterPixels(w, 0).data], [...g(Math.round(127.5 + 127.5 * 0.5)), ...g(0)]);
  assert.deepEqual([...filterPixels(w, 1).data], [...g(255), ...g(128)]);
});

test('paint: class colours follow HSL (golden-angle hues) and the mask uses them opaquely', () => {
  // Class 0: hsl(0°, 75%, 58%): C = (1 − |2L − 1|) S = 0.63, m = L − C/2 = 0.265 → (0.895, 0.265, 0.265) · 255.
  assert.deepEqual(classColour(0), [Math.round(0.895 * 255), Math.round(0.265 * 255), Math.round(0.265 * 255)]);
  const seen = new Set(Array.from({ length: 24 }, (_, c) => classColour(c).join()));
  assert.equal(seen.size, 24, 'distinct colours');
  const m = maskPixels({ height: 1, width: 2, classes: Int32Array.from([0, 3]), present: [] });
  assert.deepEqual(px(m.data, 0), [...classColour(0), 255]);
  assert.deepEqual(px(m.data, 1), [...classColour(3), 255]);
});

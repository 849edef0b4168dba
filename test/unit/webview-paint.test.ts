// The webview's pure paint module: maps go through protocol/render.ts (its pixels are tested there; here the
// delegation, the frame and a hand-derived black-and-white case), hover values, the grid's shared scale, the colour
// bar's legend, and the pixels of reconstructions, filters and class masks derived by hand from their definitions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classColour, colorbarFor, filterPixels, gridThreshold, maskPixels, paintResult, readout, reconstructionPixels, valuePlane, COLOR_MAP_CHOICES } from '../../webview-ui/paint';
import { COLOR_MAPS } from '../../src/protocol/display';
import { defaultDisplay, renderRelevance, type DisplayOptions } from '../../src/protocol/render';

const t = (dims: number[], data: number[]) => ({ dims, data: Float32Array.from(data) });
/** A 1-row preview of `n` pixels, all (100, 40, 200). */
const preview = (n: number) => ({ width: n, height: 1, data: Uint8Array.from({ length: 4 * n }, (_, i) => [100, 40, 200, 255][i % 4]) });
const px = (d: ArrayLike<number>, i: number) => Array.from(d).slice(4 * i, 4 * i + 4);
/** The model input covers the whole n × 1 photo. */
const whole = (n: number) => ({ width: n, height: 1, x0: 0, y0: 0, x1: n, y1: 1 });
const opts = (o: Partial<DisplayOptions> = {}): DisplayOptions => ({ ...defaultDisplay({ id: 'gradient', family: 'deconvolution', output: 'input' }), ...o });

test('paint: a map is what renderRelevance paints for the photo and frame', () => {
  const rel = t([1, 2, 1, 2], [1, -3, 2, 1]);
  for (const mode of ['heatmap', 'blend', 'masked', 'rgb'] as const) {
    const o = opts({ mode, sign: 'all' });
    const p = paintResult(rel, 'input', o, preview(2), whole(2));
    assert.equal(p.kind, 'map');
    if (p.kind !== 'map') return;
    assert.deepEqual(p.image, renderRelevance(rel, o, preview(2), whole(2)), mode);
    assert.equal(p.options, o);
  }
});

test('paint: black and white by hand; the cropped-away border is hatched and reads as outside', () => {
  // |v| = [2, 4]; percentile clip at 0 %: the threshold is the largest |v| = 4 → grey 255 · 2/4 (127.5 → 128) and 255.
  const rel = t([1, 1, 1, 2], [2, -4]);
  const o = opts({ mode: 'bw', sign: 'all', clip: { by: 'percentile', percent: 0 } });
  const p = paintResult(rel, 'input', o, preview(2), whole(2));
  if (p.kind !== 'map') return assert.fail('a map');
  assert.equal(p.image.threshold, 4);
  assert.deepEqual([...p.image.data], [128, 128, 128, 255, 255, 255, 255, 255]);
  // A 4-pixel photo whose middle two pixels the model sees: the outer ones are hatched grey, not coloured.
  const crop = { width: 4, height: 1, x0: 1, y0: 0, x1: 3, y1: 1 };
  const c = paintResult(rel, 'input', o, preview(4), crop);
  if (c.kind !== 'map') return assert.fail('a map');
  assert.deepEqual(px(c.image.data, 1), [128, 128, 128, 255]);
  assert.deepEqual(px(c.image.data, 2), [255, 255, 255, 255]);
  for (const i of [0, 3]) assert.ok([48, 96].includes(c.image.data[4 * i]) && c.image.data[4 * i] === c.image.data[4 * i + 2], `pixel ${i} is hatch grey`);
  const plane = valuePlane(rel, 'sum', crop);
  assert.deepEqual([...plane.data], [Number.NaN, 2, -4, Number.NaN]);
  assert.equal(readout(plane, preview(4), 1, 0), 'relevance 2 · input (100, 40, 200) at 1, 0');
  assert.equal(readout(plane, preview(4), 2, 0), 'relevance -4 · input (100, 40, 200) at 2, 0');
  assert.equal(readout(plane, preview(4), 0, 0), "outside the model's input (cropped) · input (100, 40, 200) at 0, 0");
  assert.equal(readout(undefined, preview(4), 3, 0), 'input (100, 40, 200) at 3, 0', 'a reconstruction has no value plane');
});

test('paint: hover values are the reduced map before the sign and the clip', () => {
  // Channels [1, −3] and [2, 1]: max-abs → |2|, |−3|; sum → 3, −2 (the display's sign does not enter).
  const rel = t([1, 2, 1, 2], [1, -3, 2, 1]);
  assert.deepEqual([...valuePlane(rel, 'max-abs', whole(2)).data], [2, 3]);
  assert.deepEqual([...valuePlane(rel, 'sum', whole(2)).data], [3, -2]);
  // A plane of another size is read at the proportional pixel.
  const half = { width: 1, height: 1, data: Float32Array.from([7]) };
  assert.equal(readout(half, preview(2), 1, 0), 'relevance 7 · input (100, 40, 200) at 1, 0');
});

test('paint: the grid\'s shared scale clips all maps together, each with its own sign', () => {
  const a = { width: 2, height: 1, data: Float32Array.from([1, -2]) };
  const b = { width: 2, height: 1, data: Float32Array.from([10, -20]) };
  const clip = { by: 'percentile' as const, percent: 0 };
  // Positive part of b is [10, 0]: the largest kept |value| over [1, −2, 10, 0] is 10.
  assert.equal(gridThreshold([{ plane: a, sign: 'all' }, { plane: b, sign: 'positive' }], clip), 10);
  assert.equal(gridThreshold([{ plane: a, sign: 'all' }, { plane: b, sign: 'all' }], clip), 20);
  assert.equal(gridThreshold([{ plane: a, sign: 'negative' }, { plane: b, sign: 'positive' }], clip), 10);
  // Cumulative mass over |v| = [1, 2, 10, 20] (total 33): 50 % of it is first reached at 20 (1 + 2 + 10 = 13 < 16.5).
  assert.equal(gridThreshold([{ plane: a, sign: 'all' }, { plane: b, sign: 'all' }], { by: 'mass', percent: 50 }), 20);
  // Percentile 50 % (numpy's linear interpolation): rank 0.5 · 3 = 1.5 between 2 and 10 → 6.
  assert.equal(gridThreshold([{ plane: a, sign: 'all' }, { plane: b, sign: 'all' }], { by: 'percentile', percent: 50 }), 6);
});

test('paint: the colour bar shows the map\'s colours, or a grey ramp where the photo carries the map', () => {
  const rel = t([1, 1, 1, 2], [2, -4]);
  const heat = paintResult(rel, 'input', opts({ mode: 'heatmap', sign: 'absolute' }), preview(2), whole(2));
  if (heat.kind !== 'map') return assert.fail('a map');
  const bar = colorbarFor(heat.image, heat.options, false);
  assert.deepEqual([bar.colorMap, bar.range], ['heat', [0, heat.image.threshold]]);
  assert.match(bar.caption, /\|relevance\| · clipped at 2 % of the mass/);
  assert.match(colorbarFor(heat.image, heat.options, true).caption, /one scale for the grid/);
  const masked = paintResult(rel, 'input', opts({ mode: 'masked', sign: 'all', clip: { by: 'percentile', percent: 1 } }), preview(2), whole(2));
  if (masked.kind !== 'map') return assert.fail('a map');
  const mb = colorbarFor(masked.image, masked.options, false);
  assert.equal(mb.colorMap, 'gray');
  assert.match(mb.caption, /photo shown in proportion to relevance · clipped at the 99th percentile/);
  assert.deepEqual(COLOR_MAP_CHOICES, ['auto', ...COLOR_MAPS]);
});

test('paint: reconstructions are min–max normalised RGB, no overlay', () => {
  // R = [0, 10], G = [5, 10], B = [10, 0]: lo 0, hi 10.
  const img = t([1, 3, 1, 2], [0, 10, 5, 10, 10, 0]);
  const p = paintResult(img, 'image', opts(), preview(2), whole(2));
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

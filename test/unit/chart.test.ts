// Line-chart geometry (src/protocol/chart.ts): expected values are worked out by hand in the comments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { areaPath, boxScales, extent, linearScale, linePath, niceTicks } from '../../src/protocol/chart';
import { shortLayer } from '../../webview-ui/layer-names';

test('linear scale: domain ends land on range ends, a flat domain on the middle', () => {
  const s = linearScale([0, 10], [100, 200]);
  assert.equal(s(0), 100);
  assert.equal(s(10), 200);
  assert.equal(s(2.5), 125);
  assert.equal(linearScale([3, 3], [0, 50])(3), 25);
});

test('nice ticks: steps of 1, 2 or 5 × 10ⁿ inside the range, printed without float noise', () => {
  // [0, 1] in ~5 ticks: raw step 0.2 → 0.2 → 0, 0.2, …, 1.
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  // [0.13, 0.91]: raw 0.156 → step 0.2 → first tick ⌈0.65⌉·0.2 = 0.2.
  assert.deepEqual(niceTicks(0.13, 0.91, 5), [0.2, 0.4, 0.6, 0.8]);
  // [-3, 7] with 4: raw 2.5 → step 5 → −0 rounds to 0, then 5.
  assert.deepEqual(niceTicks(-3, 7, 4), [0, 5]);
  assert.deepEqual(niceTicks(0.1, 0.3, 2), [0.1, 0.2, 0.3]);
  assert.deepEqual(niceTicks(2, 2), [2]);
  assert.deepEqual(niceTicks(NaN, 1), []);
});

test('extent: ignores non-finite values and widens to the included ones', () => {
  assert.deepEqual(extent([0.2, NaN, 0.7]), [0.2, 0.7]);
  assert.deepEqual(extent([0.2, 0.7], [0, 1]), [0, 1]);
  assert.deepEqual(extent([]), [0, 1]);
});

test('paths: y grows upwards inside the margins; a NaN starts a new segment; the area closes on the baseline', () => {
  const box = { width: 110, height: 60, left: 10, right: 0, top: 10, bottom: 0 };
  const { sx, sy } = boxScales(box, [0, 1], [0, 1]);
  // x 0 → 10, 1 → 110; y 0 → 60 (bottom), 1 → 10 (top).
  assert.equal(linePath([0, 0.5, 1], [1, 0.5, 0], sx, sy), 'M10 10 L60 35 L110 60');
  assert.equal(linePath([0, 0.5, 1], [1, NaN, 0], sx, sy), 'M10 10 M110 60');
  assert.equal(areaPath([0, 1], [1, 1], sx, sy, 0), 'M10 10 L110 10 L110 60 L10 60 Z');
  assert.equal(areaPath([0, 0.5, 1], [1, NaN, 0], sx, sy, 0), '', 'no area for a broken line');
});

test('short layer names drop the exporter\'s leading slash and output suffix', () => {
  assert.equal(shortLayer('/_blocks.14/_depthwise_conv/Conv_output_0'), '_blocks.14/_depthwise_conv');
  assert.equal(shortLayer('/fc/Gemm_output_0'), 'fc');
  assert.equal(shortLayer('conv1'), 'conv1');
  assert.equal(shortLayer('output_0'), 'output_0', 'a bare output name stays');
});

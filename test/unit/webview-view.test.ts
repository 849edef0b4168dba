// The map view's pure parts: zoom and pan (the point under the pointer stays put, the image keeps covering the
// canvas), pointer → map pixel under zoom, photo ↔ model-input geometry through the InputFrame, the cell photo's
// downscale, and the colour bar's ticks and pixels. Expected values are worked out by hand in the comments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canvasToPlane, clampView, clientToCanvas, IDENTITY, MAX_ZOOM, panBy, zoomAt } from '../../webview-ui/zoom';
import { asNCHW, downscale, photoToInput, regionToPhoto } from '../../webview-ui/frame';
import { scaleFrame } from '../../src/protocol/render';
import { colorbarPixels, colorbarTicks, formatValue } from '../../src/protocol/colorbar';

test('zoom: about the pointer, clamped to 1…MAX_ZOOM and to the canvas', () => {
  // Canvas 100 × 50. Zoom 2× at (50, 25): t = c − (c − 0) · 2 → (−50, −25); the map point under it, (50 + 50) / 2 = 50, stays.
  const v = zoomAt(IDENTITY, 2, 50, 25, 100, 50);
  assert.deepEqual(v, { scale: 2, tx: -50, ty: -25 });
  assert.equal((50 - v.tx) / v.scale, 50);
  // Zooming out past 1 returns to the whole image; past MAX_ZOOM stops there.
  assert.deepEqual(zoomAt(v, 0.1, 10, 10, 100, 50), { scale: 1, tx: 0, ty: 0 });
  assert.equal(zoomAt(IDENTITY, 1000, 0, 0, 100, 50).scale, MAX_ZOOM);
  // At the corner (0, 0) the translation stays 0.
  assert.deepEqual(zoomAt(IDENTITY, 4, 0, 0, 100, 50), { scale: 4, tx: 0, ty: 0 });
  assert.deepEqual(clampView({ scale: 0.5, tx: 5, ty: -5 }, 100, 50), { scale: 1, tx: 0, ty: 0 });
});

test('pan: the zoomed image never leaves an empty edge', () => {
  const v = { scale: 2, tx: -50, ty: -25 };
  assert.deepEqual(panBy(v, 10, 5, 100, 50), { scale: 2, tx: -40, ty: -20 });
  // Right/bottom limit: the image (200 × 100) ends at the canvas edge: t ≥ 100 − 200 = −100 and ≥ 50 − 100 = −50.
  assert.deepEqual(panBy(v, -80, -80, 100, 50), { scale: 2, tx: -100, ty: -50 });
  assert.deepEqual(panBy(v, 80, 80, 100, 50), { scale: 2, tx: 0, ty: 0 });
  assert.deepEqual(panBy(IDENTITY, 30, 30, 100, 50), IDENTITY, 'unzoomed: nothing to pan');
});

test('hover: client pixels → canvas pixels → map pixels under zoom and pan', () => {
  // A 400 × 200 canvas shown at 200 × 100 CSS pixels from (10, 10): client (110, 60) is canvas (200, 100).
  assert.deepEqual(clientToCanvas(110, 60, { left: 10, top: 10, width: 200, height: 100 }, { width: 400, height: 200 }), [200, 100]);
  const canvas = { width: 100, height: 50 }, plane = { width: 200, height: 100 };
  // Unzoomed, canvas (50, 25) is plane (100, 50) (the plane has twice the canvas's resolution).
  assert.deepEqual(canvasToPlane(IDENTITY, 50, 25, canvas, plane), { x: 100, y: 50 });
  // Zoomed 2× about the centre: canvas (50, 25) shows map point ((50 + 50) / 2, (25 + 25) / 2) = (50, 25) → plane (100, 50);
  // canvas (0, 0) shows (25, 12.5) → plane (50, 25).
  const v = { scale: 2, tx: -50, ty: -25 };
  assert.deepEqual(canvasToPlane(v, 50, 25, canvas, plane), { x: 100, y: 50 });
  assert.deepEqual(canvasToPlane(v, 0, 0, canvas, plane), { x: 50, y: 25 });
  assert.deepEqual(canvasToPlane(v, 99.9, 49.9, canvas, plane), { x: 149, y: 74 });
  // Outside the canvas's image: nothing.
  assert.equal(canvasToPlane(IDENTITY, -1, 10, canvas, plane), undefined);
  assert.equal(canvasToPlane(IDENTITY, 100, 10, canvas, plane), undefined);
  assert.deepEqual(canvasToPlane(IDENTITY, 99.99, 0, canvas, plane), { x: 199, y: 0 });
});

test('frame: photo points and boxes map to and from the model input', () => {
  // A 400 × 300 photo centre-cropped to its middle 300 × 300 (x 50…350), fed to a 224 × 224 input.
  const f = { width: 400, height: 300, x0: 50, y0: 0, x1: 350, y1: 300 };
  const input = { width: 224, height: 224 };
  assert.deepEqual(photoToInput(f, input, 50, 0), [0, 0]);
  assert.deepEqual(photoToInput(f, input, 350, 300), [224, 224]);
  assert.deepEqual(photoToInput(f, input, 200, 150), [112, 112]);
  assert.deepEqual(photoToInput(f, input, 0, 0), [0, 0], 'the cropped border clamps to the input edge');
  assert.deepEqual(photoToInput(f, input, 400, 150), [112, 224]);
  // Rows/cols 0…112 of the input are 112 · 300/224 = 150 photo pixels, from x0 = 50.
  assert.deepEqual(regionToPhoto({ y0: 0, x0: 0, y1: 112, x1: 112 }, f, input), { x: 50, y: 0, w: 150, h: 150 });
  // Half the photo: every coordinate halves.
  assert.deepEqual(scaleFrame(f, 200, 150), { width: 200, height: 150, x0: 25, y0: 0, x1: 175, y1: 150 });
});

test('frame: the cells\' photo is a box average; flat relevance gets the input\'s shape', () => {
  // 4 × 2 pixels, red channel 0, 10, 20, 30 / 40, 50, 60, 70 → 2 × 1: (0 + 10 + 40 + 50) / 4 = 25, (20 + 30 + 60 + 70) / 4 = 45.
  const reds = [0, 10, 20, 30, 40, 50, 60, 70];
  const photo = { width: 4, height: 2, data: Uint8Array.from(reds.flatMap((r) => [r, 0, 0, 255])) };
  const small = downscale(photo, 2);
  assert.deepEqual([small.width, small.height], [2, 1]);
  assert.deepEqual([...small.data], [25, 0, 0, 255, 45, 0, 0, 255]);
  assert.equal(downscale(photo, 8), photo, 'small enough: unchanged');
  const flat = { data: new Float32Array(6), dims: [6] };
  assert.deepEqual(asNCHW(flat, { width: 3, height: 2 }).dims, [1, 1, 2, 3]);
  assert.deepEqual(asNCHW({ data: new Float32Array(6), dims: [1, 2, 3] }, { width: 3, height: 2 }).dims, [1, 1, 2, 3]);
  assert.deepEqual(asNCHW({ data: new Float32Array(4), dims: [1, 1, 2, 2] }, { width: 3, height: 2 }).dims, [1, 1, 2, 2]);
});

test('colour bar: min / 0 / max ticks with readable numbers', () => {
  assert.deepEqual(colorbarTicks([-2, 2]), [{ value: -2, label: '-2', at: 0 }, { value: 0, label: '0', at: 0.5 }, { value: 2, label: '2', at: 1 }]);
  assert.deepEqual(colorbarTicks([-1, 3]).map((x) => x.at), [0, 0.25, 1], '0 sits a quarter along');
  assert.deepEqual(colorbarTicks([0, 0.444]).map((x) => x.label), ['0', '0.444'], 'one-signed: no separate 0');
  assert.deepEqual(colorbarTicks([-0.5, 0]).map((x) => x.label), ['-0.5', '0']);
  assert.deepEqual(['0.00186', '1.23e-4', '1e-4', '1.23e4', '0.5', '-0.375', '123'],
    [0.00186, 0.000123, 1e-4, 12345, 0.5, -0.375, 123].map(formatValue));
});

test('colour bar: the pixels are the map\'s colours from range[0] to range[1]', () => {
  const rgb = (d: Uint8ClampedArray) => Array.from({ length: d.length / 4 }, (_, i) => [...d.slice(4 * i, 4 * i + 4)]);
  // Two pixels over [−1, 1] sample −0.5 and 0.5: the signed map's ±0.5 stops, opaque.
  assert.deepEqual(rgb(colorbarPixels('signed', [-1, 1], 2)), [[103, 169, 207, 255], [239, 138, 98, 255]]);
  // Heat over [0, 2] samples 0.25 and 0.75 of the scale: its 0.25 and 0.75 stops.
  assert.deepEqual(rgb(colorbarPixels('heat', [0, 2], 2)), [[87, 16, 110, 255], [249, 142, 9, 255]]);
  // A negative scale reads magnitude: −0.75 (left) is the brighter stop.
  assert.deepEqual(rgb(colorbarPixels('heat', [-1, 0], 2)), [[249, 142, 9, 255], [87, 16, 110, 255]]);
  // Grey: 255 · |v| at 0.125 and 0.375 → 31.875 → 32, 95.625 → 96.
  assert.deepEqual(rgb(colorbarPixels('gray', [0, 1], 4)).slice(0, 2), [[32, 32, 32, 255], [96, 96, 96, 255]]);
  // The per-channel image: 0 at mid-grey, 127.5 ± 127.5 · 0.5 → 63.75 → 64 and 191.25 → 191.
  assert.deepEqual(rgb(colorbarPixels('rgb', [-3, 3], 2)), [[64, 64, 64, 255], [191, 191, 191, 255]]);
});

// What the Visualize panel gets from the engine process for an image: the ORIGINAL image (capped at
// PREVIEW_MAX_SIDE) with the InputFrame of the model's input in it, not the model's 224² crop.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeImage } from '../../src/engine/image/decode';
import { inputFrame } from '../../src/engine/preprocess';
import { capped, serveEngine } from '../../src/engine-process/main';
import { scaleFrame } from '../../src/protocol/render';
import { RpcConnection } from '../../src/protocol/rpc';
import { transportPair } from './helpers';
import { PREVIEW_MAX_SIDE, Requests } from '../../src/protocol/messages';

const [a, b] = transportPair();
const client = new RpcConnection(a, 'c');
const { engine } = serveEngine(b, { threads: 1 });
after(() => engine.dispose());
const chelsea = path.join(__dirname, '..', '..', 'assets', 'samples', 'chelsea.png');

test('image/load: the preview is the original photo and the frame is where the centre crop lies in it', async () => {
  const loaded = await client.sendRequest(Requests.loadImage, { path: chelsea });
  const original = decodeImage(fs.readFileSync(chelsea));
  assert.deepEqual([loaded.preview.width, loaded.preview.height], [400, 266]);
  assert.deepEqual([loaded.preview.width, loaded.preview.height], [original.width, original.height]);
  const opaque = Uint8Array.from(original.data, (v, i) => (i % 4 === 3 ? 255 : v));
  assert.deepEqual(loaded.preview.data, opaque, 'the pixels are the file\'s own');
  assert.deepEqual(loaded.inputSize, { width: 224, height: 224 });
  // The default model resizes the shorter side to 256 and centre-crops 224: 400 × 266 → 385 × 256, crop from (80, 16).
  const pre = engine.open().preprocessing();
  assert.deepEqual(loaded.frame, inputFrame(pre, 400, 266));
  assert.ok(Math.abs(loaded.frame.x0 - (80 * 400) / 385) < 1e-9 && Math.abs(loaded.frame.y1 - (240 * 266) / 256) < 1e-9, JSON.stringify(loaded.frame));
  assert.deepEqual(loaded.input.dims, [1, 3, 224, 224]);
});

test('image/load: a large image is capped at PREVIEW_MAX_SIDE and its frame scaled with it', async () => {
  const [w, hh] = [2100, 1000];
  const data = new Uint8Array(w * hh * 4);
  for (let i = 0; i < w * hh; i++) data.set([10, 200, 30, 255], 4 * i);
  const loaded = await client.sendRequest(Requests.loadImage, { rgba: { width: w, height: hh, data } });
  // 1024 / 2100 of each side: 1024 × round(487.6) = 488.
  assert.deepEqual([loaded.preview.width, loaded.preview.height], [PREVIEW_MAX_SIDE, 488]);
  const f = inputFrame(engine.open().preprocessing(), w, hh);
  assert.deepEqual(loaded.frame, scaleFrame(f, 1024, 488));
  assert.ok(Math.abs(loaded.frame.x1 - loaded.frame.x0 - ((f.x1 - f.x0) * 1024) / 2100) < 1e-9);
  for (let i = 0; i < 1024 * 488; i += 997) assert.deepEqual([...loaded.preview.data.subarray(4 * i, 4 * i + 4)], [10, 200, 30, 255]);
});

test('capped: box average, then the antialiased resize; smaller images unchanged but opaque', () => {
  // 8 × 2 with red = 20 · column, max side 2: s = 1/4 → 2 × 1 (round(0.5) = 1); k = floor(1 / (2s)) = 2 boxes of 2 × 2
  // → one row of reds 10, 50, 90, 130. The triangle filter (support 2 when halving) then takes, for output 0
  // (centre 1), sources 0…2 with weights 0.75, 0.75, 0.25: (7.5 + 37.5 + 22.5) / 1.75 = 38.57 → 39; for output 1
  // (centre 3), sources 1…3 with 0.25, 0.75, 0.75: (12.5 + 67.5 + 97.5) / 1.75 = 101.43 → 101.
  const img = { width: 8, height: 2, data: Uint8Array.from({ length: 64 }, (_, i) => (i % 4 === 0 ? 20 * ((i >> 2) % 8) : i % 4 === 3 ? 128 : 0)) };
  const c = capped(img, 2);
  assert.deepEqual([c.width, c.height], [2, 1]);
  assert.deepEqual([c.data[0], c.data[4]], [39, 101]);
  assert.deepEqual([c.data[3], c.data[7]], [255, 255], 'opaque whatever the source alpha');
  const small = capped({ width: 1, height: 1, data: Uint8Array.from([1, 2, 3, 0]) }, 4);
  assert.deepEqual([...small.data], [1, 2, 3, 255]);
});

/** A model saved with a newer IR version than onnxruntime reads (onnx ≥ 1.19's default, 14) still loads and explains. */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { decodeModel, encodeModel } from '../../src/engine/onnx/codec';
import { FIXTURES, relativeError } from './helpers';
import { readNpy } from '../../src/engine/npy';

const engine = new Engine({ threads: 1 });
after(() => engine.dispose());

test('IR version 14: forward and gradient equal those of the same model at IR 8', async () => {
  const original = path.join(FIXTURES, 'convnet', 'model.onnx');
  const m = decodeModel(fs.readFileSync(original));
  m.irVersion = 14;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featurevis-ir-'));
  const file = path.join(dir, 'ir14.onnx');
  fs.writeFileSync(file, encodeModel(m));
  const input = readNpy(path.join(FIXTURES, 'convnet', 'input.npy'));
  const a = engine.open(file);
  const b = engine.open(original);
  const ya = (await engine.forward(a, input)).logits.data;
  const yb = (await engine.forward(b, input)).logits.data;
  assert.ok(relativeError(ya, yb) < 1e-6);
  const ga = await engine.explain({ model: a, input, method: 'gradient', target: { kind: 'class', index: [1, 2] } });
  const gb = await engine.explain({ model: b, input, method: 'gradient', target: { kind: 'class', index: [1, 2] } });
  assert.ok(relativeError(ga.relevance.data, gb.relevance.data) < 1e-6);
  assert.equal(a.irLowered, true);
  fs.rmSync(dir, { recursive: true });
});

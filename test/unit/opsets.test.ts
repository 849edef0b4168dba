/**
 * Opsets 11–21 and external data: the convnet fixture in other containers (same weights) must give the same
 * explanations as the opset-13 original's PyTorch references.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { loadModelFile } from '../../src/engine/onnx/load';
import { encodeModel, decodeModel } from '../../src/engine/onnx/codec';
import { readNpy } from '../../src/engine/npy';
import { FIXTURES, relativeError } from './helpers';

const engine = new Engine({ threads: 1 });
after(() => engine.dispose());
const input = readNpy(path.join(FIXTURES, 'convnet', 'input.npy'));
const target = { kind: 'class' as const, index: [3, 1] };
const cases = [
  { method: 'gradient', params: {}, ref: 'gradient.npy' },
  { method: 'guided-backprop', params: {}, ref: 'guided-backprop.npy' },
  { method: 'lrp-epsilon', params: { eps: 0.25 }, ref: 'lrp-epsilon-eps0.25.npy' },
  { method: 'grad-cam', params: { layer: '/relu3/Clip_output_0' }, ref: 'grad-cam-relu3.npy' },
];

for (const file of ['convnet-op11.onnx', 'convnet-op21.onnx', 'convnet-external.onnx']) {
  test(`${file} explains like the opset-13 original`, async () => {
    const model = engine.open(path.join(FIXTURES, 'opsets', file));
    for (const c of cases) {
      const r = await engine.explain({ model, input, method: c.method, params: c.params, target });
      const ref = readNpy(path.join(FIXTURES, 'convnet', 'ref', c.ref));
      const err = relativeError(r.relevance.data, ref.data);
      assert.ok(err < 1e-4, `${c.method}: relative error ${err.toExponential(2)}`);
    }
  });
}

test('a missing external-data file is reported by name', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featurevis-ext-'));
  fs.copyFileSync(path.join(FIXTURES, 'opsets', 'convnet-external.onnx'), path.join(dir, 'm.onnx'));
  assert.throws(() => engine.open(path.join(dir, 'm.onnx')), /convnet-external\.onnx\.data' is missing/);
});

test('decoding and re-encoding a model is lossless', () => {
  const file = path.join(FIXTURES, 'blocks', 'model.onnx');
  const once = encodeModel(loadModelFile(file));
  const twice = encodeModel(decodeModel(once));
  assert.deepEqual(Buffer.from(twice), Buffer.from(once));
  const m = decodeModel(once);
  const original = loadModelFile(file);
  assert.equal(m.graph.nodes.length, original.graph.nodes.length);
  assert.deepEqual(m.graph.inputs, original.graph.inputs);
  assert.deepEqual([...m.graph.initializers.keys()], [...original.graph.initializers.keys()]);
});

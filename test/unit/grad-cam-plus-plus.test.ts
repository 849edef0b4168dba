/**
 * Grad-CAM++ against its definition in PyTorch (float64, tools/make_attribution_refs.py; the weights equal
 * pytorch-grad-cam's GradCAMPlusPlus there), per item of a batch; the layer errors; Grad-CAM still as before.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { readNpy } from '../../src/engine/npy';
import { FIXTURES, relativeError } from './helpers';

const dir = path.join(FIXTURES, 'attribution');
const refs = JSON.parse(fs.readFileSync(path.join(dir, 'refs.json'), 'utf8')) as { targets: number[]; layer: string; 'grad-cam-plus-plus': number[] };
const engine = new Engine({ threads: 1 });
after(() => engine.dispose());
const model = engine.open(path.join(dir, 'model.onnx'));
const input = readNpy(path.join(dir, 'input.npy'));
const target = { kind: 'class' as const, index: refs.targets };

test('grad-cam-plus-plus matches its PyTorch definition within 1e-4 on a batch of two', async () => {
  const r = await engine.explain({ model, input, method: 'grad-cam-plus-plus', params: { layer: refs.layer }, target });
  assert.deepEqual(r.relevance.dims, [2, 1, 16, 16]);
  const err = relativeError(r.relevance.data, Float32Array.from(refs['grad-cam-plus-plus']));
  assert.ok(err < 1e-4, `relative L2 error ${err.toExponential(2)}`);
  assert.ok(r.relevance.data.every((v) => v >= 0), 'ReLU of the weighted sum');
  const one = await engine.explain({ model, input: { data: input.data.slice(0, 768), dims: [1, 3, 16, 16] }, method: 'grad-cam-plus-plus', params: { layer: refs.layer }, target: { kind: 'class', index: refs.targets[0] } });
  assert.ok(relativeError(one.relevance.data, r.relevance.data.subarray(0, 256)) < 1e-6, 'each item on its own');
});

test('grad-cam-plus-plus weighs channels differently from grad-cam; the default layer works; bad layers are refused', async () => {
  const pp = await engine.explain({ model, input, method: 'grad-cam-plus-plus', params: { layer: refs.layer }, target });
  const gc = await engine.explain({ model, input, method: 'grad-cam', params: { layer: refs.layer }, target });
  assert.ok(relativeError(pp.relevance.data, gc.relevance.data) > 1e-2);
  const byDefault = await engine.explain({ model, input, method: 'grad-cam-plus-plus', target });
  assert.deepEqual(byDefault.relevance.dims, [2, 1, 16, 16]);
  await assert.rejects(engine.explain({ model, input, method: 'grad-cam-plus-plus', params: { layer: 'nope' }, target }), /no tensor named 'nope'/);
  await assert.rejects(engine.explain({ model, input, method: 'grad-cam-plus-plus', params: { layer: 'logits' }, target }), /not a feature map with spatial axes/);
});

/** Engine behaviour on the embedded ImageNet model: predictions, default targets, live parameters, batches. */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { loadImageFile } from '../../src/engine/preprocess';
import { relativeError } from './helpers';

const engine = new Engine({ threads: 2 });
after(() => engine.dispose());
const SAMPLES = path.join(__dirname, '..', '..', 'assets', 'samples');
const model = engine.open();
const cat = loadImageFile(path.join(SAMPLES, 'chelsea.png'), model.preprocessing());
const coffee = loadImageFile(path.join(SAMPLES, 'coffee.png'), model.preprocessing());

test('the embedded model recognises the sample photos', async () => {
  const [catTop] = await engine.predict(model, cat, 5);
  const [coffeeTop] = await engine.predict(model, coffee, 5);
  // ImageNet classes 281–285 are domestic cats; 967 espresso, 968 cup.
  assert.ok(catTop.slice(0, 3).every((p) => p.index >= 281 && p.index <= 285), JSON.stringify(catTop));
  assert.ok(coffeeTop.slice(0, 2).some((p) => p.index === 967 || p.index === 968), JSON.stringify(coffeeTop));
  assert.ok(Math.abs(catTop.reduce((s, p) => s + p.probability, 0) - 1) < 0.2);
});

test('without a target, each item is explained for its own top class', async () => {
  const batch = { data: new Float32Array([...cat.data, ...coffee.data]), dims: [2, ...cat.dims.slice(1)] };
  const preds = await engine.predict(model, batch, 1);
  const implicit = await engine.explain({ model, input: batch, method: 'gradient' });
  const explicit = await engine.explain({ model, input: batch, method: 'gradient', target: { kind: 'class', index: preds.map((p) => p[0].index) } });
  assert.ok(relativeError(implicit.relevance.data, explicit.relevance.data) < 1e-6);
  assert.deepEqual(implicit.targetValue.map((v) => v.toFixed(3)), explicit.targetValue.map((v) => v.toFixed(3)));
  assert.match(String(implicit.extras?.target), new RegExp(`class ${preds[0][0].index}`));
});

test('a batch gives the same relevance as its items one by one', async () => {
  const batch = { data: new Float32Array([...cat.data, ...coffee.data]), dims: [2, ...cat.dims.slice(1)] };
  const target = { kind: 'class' as const, index: [281, 967] };
  const both = await engine.explain({ model, input: batch, method: 'lrp-epsilon', target });
  const one = await engine.explain({ model, input: cat, method: 'lrp-epsilon', target: { kind: 'class', index: 281 } });
  assert.ok(relativeError(both.relevance.data.subarray(0, one.relevance.data.length), one.relevance.data) < 1e-4);
});

test('moving a live parameter reuses the compiled session and changes the map', async () => {
  const a = await engine.explain({ model, input: cat, method: 'lrp-epsilon', params: { eps: 0.01 } });
  const b = await engine.explain({ model, input: cat, method: 'lrp-epsilon', params: { eps: 1 } });
  assert.equal(a.timings.compileMs, b.timings.compileMs, 'a slider move must not recompile');
  assert.ok(relativeError(a.relevance.data, b.relevance.data) > 0.05, 'ε must change the relevance');
});

test('layers lists every float tensor with its shape', async () => {
  const layers = await engine.layers(model);
  assert.ok(layers.length > 100);
  const last = layers[layers.length - 1];
  assert.equal(last.tensor, 'logits');
  assert.deepEqual(last.shape, [1, 1000]);
  assert.ok(layers.some((l) => l.op === 'Conv' && l.shape.length === 4 && l.params > 0));
});

test('the summary reports every method available on the default model', async () => {
  const s = await engine.summary(model);
  assert.equal(s.opset, 13);
  assert.deepEqual(s.unavailable, []);
  assert.ok(s.parameterCount > 4_000_000);
  assert.equal(s.labels?.length, 1000);
});

test('models without a sidecar take preprocessing from the settings; malformed fields fall back to defaults', () => {
  const custom = new Engine({ preprocessing: { size: [16, 16], mean: [0.5, 0.5, 0.5], std: [0, 1, 1], channels: 'BGR' } });
  const p = custom.open(path.join(__dirname, '..', 'fixtures', 'camnet', 'model.onnx')).preprocessing();
  assert.deepEqual(p.size, [16, 16]);
  assert.deepEqual(p.mean, [0.5, 0.5, 0.5]);
  assert.deepEqual(p.std, [0.229, 0.224, 0.225], 'a zero std is refused');
  assert.equal(p.channels, 'BGR');
  // The embedded model's sidecar wins over settings.
  assert.deepEqual(custom.open().preprocessing().size, [224, 224]);
  void custom.dispose();
});

test('layer parameter counts hold learned values only: integer constants (axes, shapes) are not parameters', async () => {
  const { DataType } = await import('../../src/engine/ir/tensor');
  const engine = new Engine({ threads: 1 });
  try {
    // The dynamo export's ReduceMean (global pool) and Reshape read integer constants.
    const m = engine.open(path.join(__dirname, '..', '..', 'examples', 'pytorch-cnn', 'model.dynamo.onnx'));
    const g = m.model.graph;
    let checked = 0;
    for (const l of await engine.layers(m)) {
      const node = g.nodes.find((n) => n.name === l.node)!;
      const floats = node.inputs.filter((i) => g.initializers.get(i)?.dataType === DataType.FLOAT).reduce((a, i) => a + g.initializers.get(i)!.size, 0);
      assert.equal(l.params, floats, l.node);
      if (l.op === 'Reshape' || l.op === 'Flatten' || l.op.startsWith('Reduce')) {
        checked++;
        assert.equal(l.params, 0, `${l.node} (${l.op}) has no learned values`);
      }
    }
    assert.ok(checked > 0, 'the model has a Reshape or Reduce layer to check');
    const conv = (await engine.layers(m)).find((l) => l.op === 'Conv')!;
    assert.ok(conv.params > 0, 'a Conv has weights');
  } finally {
    await engine.dispose();
  }
});

/**
 * `featurevis check`: a correct compiler passes on a ReLU / ceil-mode max-pool / mean-pool net (kinks must not
 * raise false alarms), and a wrong rule is caught by the whole-model check and named by the per-node checks.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { Engine } from '../../src/engine/engine';
import { attr } from '../../src/engine/ir/graph';
import { ConstTensor } from '../../src/engine/ir/tensor';
import { RuleRegistry } from '../../src/engine/backward/registry';
import { ALL_RULES } from '../../src/engine/backward/rules';
import type { OpRule } from '../../src/engine/backward/types';
import { checkModel } from '../../src/engine/check/check';
import { normals } from '../../src/engine/check/finite-diff';
import { oneNodeModel } from './onenode';
import { c } from './gradcheck';

const engine = new Engine({ threads: 1 });
after(() => engine.dispose());

// Conv → Relu → MaxPool(3, stride 1, pad 1, ceil) → MaxPool(3, stride 2, ceil) → ReduceMean(H, W) → Gemm: the
// pooling configuration of GoogLeNet as PyTorch's torch.export-based exporter writes it.
const file = oneNodeModel({
  op: 'Gemm', inputs: ['t4', 'wd', 'bd'], attrs: { transB: attr.i(1) }, inputShape: [1, 3, 15, 15],
  consts: { w: c([8, 3, 3, 3], 0.5), b: c([8], 0.1), wd: c([5, 8]), bd: c([5]), axes: ConstTensor.int64([2], [2, 3]) },
  before: [
    { op: 'Conv', inputs: ['x', 'w', 'b'], attrs: { pads: attr.ints([1, 1, 1, 1]) } },
    { op: 'Relu', inputs: ['t0'] },
    { op: 'MaxPool', inputs: ['t1'], attrs: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]), ceil_mode: attr.i(1) } },
    { op: 'MaxPool', inputs: ['t2'], attrs: { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]), ceil_mode: attr.i(1) } },
    { op: 'ReduceMean', inputs: ['t3', 'axes'], attrs: { keepdims: attr.i(0) } },
  ],
  opset: 18,
});
const input = { data: normals(3 * 15 * 15, 3), dims: [1, 3, 15, 15] };

/** A registry where one op's gradient is scaled: the kind of silent error a wrong count or axis gives. */
function withScaledRule(op: string, factor: number): RuleRegistry {
  return new RuleRegistry(ALL_RULES.map((r): OpRule => r.op !== op ? r : {
    ...r, backward: (ctx) => r.backward(ctx).map((s) => (s ? ctx.b.mul(s, ctx.b.scalar(factor)) : s)),
  }));
}

test('the default rules pass the check on a ReLU / max-pool / mean-pool network', async () => {
  const report = await checkModel(engine, engine.open(file), input, { methods: ['gradient', 'guided-backprop', 'lrp-epsilon'] });
  assert.ok(report.gradient.ok, JSON.stringify(report.gradient));
  assert.deepEqual(report.ops.filter((o) => !o.ok), []);
  assert.equal(report.ops.length, 6, 'one check per node input on the path');
  assert.deepEqual(report.methods.map((m) => m.status), ['agrees', 'rules-verified', 'rules-verified']);
  assert.ok(report.ok);
});

test('a wrong ReduceMean rule is caught and named', async () => {
  const report = await checkModel(engine, engine.open(file), input, { registry: withScaledRule('ReduceMean', 1.5), methods: ['gradient', 'deconvnet'] });
  assert.equal(report.gradient.ok, false);
  assert.deepEqual(report.ops.filter((o) => !o.ok).map((o) => o.op), ['ReduceMean']);
  assert.equal(report.ok, false);
});

test('a max-pool rule that is off by 10 % is named by the per-node checks', async () => {
  const report = await checkModel(engine, engine.open(file), input, { registry: withScaledRule('MaxPool', 1.1), methods: [] });
  assert.deepEqual(report.ops.filter((o) => !o.ok).map((o) => o.op), ['MaxPool', 'MaxPool']);
  assert.equal(report.ok, false);
});

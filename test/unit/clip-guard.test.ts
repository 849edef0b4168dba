/** Clip is ReLU-like only with min = 0: a guard Clip (F.normalize's clamp(min=1e-12)) keeps its gradient under guided/deconvnet. */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { Engine } from '../../src/engine/engine';
import { ConstTensor } from '../../src/engine/ir/tensor';
import { oneNodeModel, randn, rng } from './onenode';

const engine = new Engine({ threads: 1 });
after(() => engine.dispose());
const next = rng(11);
const dims = [2, 3, 4, 4];
const x = randn(48 * 2, next);
const w = randn(48 * 2, next);
const target = { kind: 'weights' as const, tensor: 'y0', weights: { data: w, dims } };
const model = (lo: number) => engine.open(oneNodeModel({ op: 'Clip', inputs: ['x', 'lo'], consts: { lo: ConstTensor.float32([], [lo]) }, inputShape: dims }));
const run = async (lo: number, method: string) => (await engine.explain({ model: model(lo), input: { data: x, dims }, method, target })).relevance.data;

test('a guard Clip (min > 0) passes the plain gradient under guided backprop and deconvnet', async () => {
  const grad = await run(0.1, 'gradient');
  assert.deepEqual(await run(0.1, 'guided-backprop'), grad);
  assert.deepEqual(await run(0.1, 'deconvnet'), grad);
  assert.ok(grad.some((g) => g < 0), 'the check needs negative signals');
});

test('Clip with min = 0 (ReLU6) keeps the ReLU rules', async () => {
  const guided = await run(0, 'guided-backprop');
  x.forEach((v, i) => assert.equal(guided[i], v > 0 && w[i] > 0 ? w[i] : 0));
});

/** ONNX local functions (nested, with attribute references) are inlined: explanations equal those of onnx's own inlining. */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { FIXTURES, relativeError } from './helpers';
import { randn, rng } from './onenode';

const engine = new Engine({ threads: 1 });
after(() => engine.dispose());
const dir = path.join(FIXTURES, 'functions');
const input = { data: randn(3 * 12 * 12, rng(5)), dims: [1, 3, 12, 12] };

test('a model made of local functions explains exactly like its inlined form', async () => {
  const withFunctions = engine.open(path.join(dir, 'model.onnx'));
  const inlined = engine.open(path.join(dir, 'inlined-by-onnx.onnx'));
  assert.ok(withFunctions.model.functions.length === 2 && withFunctions.model.graph.nodes.every((n) => n.domain === ''));
  for (const method of ['gradient', 'guided-backprop', 'lrp-epsilon', 'grad-cam']) {
    const target = { kind: 'class' as const, index: 3 };
    const a = await engine.explain({ model: withFunctions, input, method, target });
    const b = await engine.explain({ model: inlined, input, method, target });
    assert.ok(relativeError(a.relevance.data, b.relevance.data) < 1e-6, method);
    assert.ok(a.relevance.data.some((v) => v !== 0), `${method} map is not empty`);
  }
});

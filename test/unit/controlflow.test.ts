/** Control flow on the explained path (If, Loop) gives one clear error naming the op and node and what still works. */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { FeatureVisError } from '../../src/engine/errors';
import { FIXTURES } from './helpers';
import { randn, rng } from './onenode';

const engine = new Engine({ threads: 1 });
after(() => engine.dispose());
const input = { data: randn(3 * 8 * 8, rng(2)), dims: [1, 3, 8, 8] };

for (const [file, op, node] of [['if.onnx', 'If', 'branch'], ['loop.onnx', 'Loop', 'loop']]) {
  test(`${op} on the path: UnsupportedOp naming '${node}', occlusion still works`, async () => {
    const model = engine.open(path.join(FIXTURES, 'controlflow', file));
    await assert.rejects(engine.explain({ model, input, method: 'guided-backprop' }), (e: unknown) => {
      assert.ok(e instanceof FeatureVisError && e.code === 'UnsupportedOp');
      assert.match(e.message, new RegExp(`${op} \\(node '${node}'\\).*still work.*occlusion`));
      assert.equal(e.message.split('\n').length, 1);
      return true;
    });
    const occ = await engine.explain({ model, input, method: 'occlusion', params: { box: [4, 4], stride: [4, 4] } });
    assert.ok(occ.relevance.data.some((v) => v !== 0));
  });
}

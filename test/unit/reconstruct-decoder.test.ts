/** The generative inverter's decoder: layout, seeded initialisation, weights round trip, both feature ranks. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Decoder, decoderSpec, paramList } from '../../src/engine/reconstruct/inverter-decoder';
import { loadTf } from '../../src/engine/reconstruct/tf';
import { Rng } from '../../src/engine/reconstruct/rng';

test('decoder layout: stages to cover the input, widths halving to ≥ 16, parameters in file order', () => {
  const spec = decoderSpec([1, 40, 3, 3], [1, 3, 20, 20]);
  // 20 / 3 → ⌈log₂ 6.67⌉ = 3 stages; w₀ = clamp(40, 32, 128) = 40.
  assert.deepEqual(spec.widths, [40, 20, 16, 16]);
  const params = paramList(spec);
  assert.deepEqual(params.map((p) => p.name), ['in.w', 'in.b', 'up1.w', 'up1.b', 'conv1.w', 'conv1.b', 'up2.w', 'up2.b', 'conv2.w', 'conv2.b', 'up3.w', 'up3.b', 'conv3.w', 'conv3.b', 'out.w', 'out.b']);
  assert.deepEqual(params[0].shape, [3, 3, 40, 40]);
  assert.deepEqual(params[2].shape, [3, 3, 40, 80]);
  assert.deepEqual(params[4].shape, [3, 3, 20, 20]);
  assert.deepEqual(params[14].shape, [3, 3, 16, 3]);
  assert.ok(params.filter((p) => p.name.endsWith('.b')).every((p) => p.std === 0));
  const dense = paramList(decoderSpec([1, 10], [1, 1, 8, 8]));
  assert.deepEqual(dense.slice(0, 2).map((p) => p.shape), [[10, 16 * 128], [16 * 128]]);
  assert.throws(() => decoderSpec([1, 2, 3], [1, 3, 8, 8]), /feature map \(N, C, H, W\) or a vector/);
});

test('decoder: seeded weights, values() round trip, output cropped to the input size for both feature ranks', async () => {
  const { tf } = await loadTf();
  const r = new Rng(1);
  for (const [featureDims, inputDims] of [[[2, 5, 3, 3], [1, 3, 10, 10]], [[2, 6], [1, 1, 6, 6]]]) {
    const spec = decoderSpec(featureDims, inputDims);
    const a = Decoder.create(tf, spec, 4);
    const b = Decoder.create(tf, spec, 4);
    const c = Decoder.create(tf, spec, 5);
    const values = a.values();
    assert.equal(values.length, paramList(spec).reduce((n, p) => n + p.shape.reduce((x, y) => x * y, 1), 0));
    assert.deepEqual(b.values(), values);
    assert.notDeepEqual(c.values(), values);
    const copy = Decoder.create(tf, spec, 0, values);
    const nhwc = featureDims.length === 4 ? [2, 3, 3, 5] : [2, 6];
    const f = tf.tensor(Float32Array.from({ length: nhwc.reduce((x, y) => x * y, 1) }, () => r.normal()), nhwc);
    const ya = a.apply(f);
    const yc = copy.apply(f);
    assert.deepEqual(ya.shape, [2, inputDims[2], inputDims[3], inputDims[1]]);
    assert.deepEqual(ya.dataSync(), yc.dataSync());
    assert.throws(() => Decoder.create(tf, spec, 0, values.subarray(1)), /shorter than its layout/);
    const longer = new Float32Array(values.length + 1);
    longer.set(values);
    assert.throws(() => Decoder.create(tf, spec, 0, longer), /does not match its layout/);
    tf.dispose([f, ya, yc]);
    for (const d of [a, b, c, copy]) d.dispose();
  }
});

/**
 * Metrics on a channels-last (NHWC) model equal those on its NCHW twin (same weights; the NHWC one transposes its
 * input first, as tf2onnx does): pixel ranking, baselines, imputation, perturbations and randomisation all follow
 * the model's layout.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { encodeModel } from '../../src/engine/onnx/codec';
import { ConstTensor } from '../../src/engine/ir/tensor';
import { twinModel } from './twin-model';
import { nchwToNhwc } from '../../src/engine/layout';
import { randn } from './onenode';
import { rng } from '../rng';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-metrics-layout-'));
const H = 12, W = 12, C = 3;
const next = rng(21);
const weights = {
  w: ConstTensor.float32([4, C, 3, 3], randn(4 * C * 9, next)),
  b: ConstTensor.float32([4], randn(4, next)),
  fc: ConstTensor.float32([5, 4], randn(20, next).map((v) => 4 * v)),
  fb: ConstTensor.float32([5], randn(5, next)),
};

function writeModel(nhwc: boolean): string {
  const model = twinModel(weights, nhwc, nhwc ? ['N', H, W, C] : ['N', C, H, W]);
  const file = path.join(dir, `twin-${nhwc ? 'nhwc' : 'nchw'}.onnx`);
  fs.writeFileSync(file, encodeModel(model));
  return file;
}

const engine = new Engine({ threads: 1 });
after(async () => {
  await engine.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('every metric gives the same numbers on an NHWC model as on its NCHW twin', async () => {
  const nchw = engine.open(writeModel(false));
  const nhwc = engine.open(writeModel(true));
  const x = { data: randn(C * H * W, next), dims: [1, C, H, W] };
  const xl = { data: nchwToNhwc(x.data, x.dims), dims: [1, H, W, C] };
  const metrics = [
    { id: 'deletion', params: { steps: 9 } }, { id: 'insertion', params: { steps: 9, baseline: 'mean' } },
    { id: 'pixel-flipping', params: { patch: 3, steps: 8, baseline: 'blur' } }, { id: 'road', params: { percentages: '20,60' } },
    { id: 'infidelity', params: { samples: 4 } }, { id: 'randomisation', params: { layers: 2 } },
  ];
  for (const method of ['gradient', 'grad-cam']) {
    const a = await engine.evaluate({ model: nchw, input: x, method, target: { kind: 'class', index: 1 }, metrics, seed: 2 });
    const b = await engine.evaluate({ model: nhwc, input: xl, method, target: { kind: 'class', index: 1 }, metrics, seed: 2 });
    a.forEach((r, i) => {
      // Infidelity draws its noise in the model's element order, so only the deterministic metrics match exactly.
      if (r.metric === 'infidelity') return assert.ok(Number.isFinite(b[i].value));
      assert.ok(Math.abs(r.value - b[i].value) <= 1e-5 * Math.max(1, Math.abs(r.value)), `${method} ${r.metric}: NCHW ${r.value} vs NHWC ${b[i].value}`);
      r.curve?.y.forEach((y, k) => assert.ok(Math.abs(y - b[i].curve!.y[k]) < 1e-5, `${method} ${r.metric} curve[${k}]`));
    });
    const rand = a.find((r) => r.metric === 'randomisation')!;
    assert.deepEqual(rand.steps!.map((s) => s.map!.dims), [[H, W], [H, W]]);
  }
});

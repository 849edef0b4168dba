/**
 * Incremental occlusion (issue 13, item 1): the region arithmetic against brute force, and incremental maps equal
 * to full recompute (≤ 1e-5 of the map's max) on small models with padded, strided, dilated and grouped
 * convolutions, ceil-mode and padded pools, constant Pads, residual adds, channel concatenations, a global-pooling head
 * (tools/make_incremental_fixtures.py → test/fixtures/incremental), plus approx and the fall-back reasons.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { affected, cropIndices, cropLength, cropStart, place, unionRegion, windowRegion, type Region, type WindowAxis } from '../../src/engine/occlusion/incremental-regions';
import type { ExplainResult, TargetSpec, TensorData } from '../../src/protocol/types';
import { loadImageFile } from '../../src/engine/preprocess';
import { FIXTURES } from './helpers';
import { rng as makeRng } from '../rng';

class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = makeRng(seed);
  }
  uniform(): number {
    return this.next();
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

const DIR = path.join(FIXTURES, 'incremental');
const engine = new Engine({ threads: 1 });
after(() => engine.dispose());

// ---- region arithmetic ----

/** Output positions whose window (in input coordinates) meets [a, b), by enumeration. */
function bruteAffected(a: number, b: number, ax: WindowAxis, outSize: number): number[] {
  const hit: number[] = [];
  for (let o = 0; o < outSize; o++) {
    for (let t = 0; t < ax.kernel; t++) {
      const i = o * ax.stride - ax.padBegin + t * ax.dilation;
      if (i >= a && i < b) {
        hit.push(o);
        break;
      }
    }
  }
  return hit;
}

const outSizeOf = (n: number, ax: WindowAxis, padEnd: number, ceil: boolean) => {
  const span = ax.dilation * (ax.kernel - 1) + 1;
  const q = (n + ax.padBegin + padEnd - span) / ax.stride;
  let out = (ceil ? Math.ceil(q) : Math.floor(q)) + 1;
  // PyTorch / ONNX: a last ceil-mode window must start inside the input or the left padding.
  if (ceil && (out - 1) * ax.stride >= n + ax.padBegin) out--;
  return out;
};

test('affected(): the outputs a changed input range reaches, for Conv with stride, pad, dilation and ceil-mode pools', () => {
  const rng = new Rng(3);
  let checked = 0;
  for (let trial = 0; trial < 3000; trial++) {
    const ax: WindowAxis = { kernel: 1 + rng.int(5), stride: 1 + rng.int(3), dilation: 1 + rng.int(3), padBegin: rng.int(3) };
    const n = 6 + rng.int(20);
    const ceil = rng.int(2) === 1;
    const outSize = outSizeOf(n, ax, rng.int(3), ceil);
    if (outSize < 1) continue;
    const a = rng.int(n);
    const b = a + 1 + rng.int(n - a);
    const expect = bruteAffected(a, b, ax, outSize);
    const [lo, hi] = affected(a, b, ax, outSize);
    const what = JSON.stringify({ ax, n, a, b, outSize, lo, hi });
    // Always a superset (exact either way); the hull of the reached outputs when every tap position counts.
    for (const o of expect) assert.ok(o >= lo && o < hi, what);
    if (ax.dilation === 1 || b - a >= ax.dilation) {
      if (expect.length === 0) assert.ok(lo >= hi, what);
      else assert.deepEqual([lo, hi], [expect[0], expect[expect.length - 1] + 1], what);
    }
    checked++;
  }
  assert.ok(checked > 2000);
});

test('cropStart/cropLength: a window op with pads 0 on the crop gives exactly the output region', () => {
  for (const ax of [{ kernel: 3, stride: 1, dilation: 1, padBegin: 1 }, { kernel: 3, stride: 2, dilation: 2, padBegin: 2 }, { kernel: 2, stride: 2, dilation: 1, padBegin: 0 }]) {
    for (let o = 0; o < 5; o++) {
      for (let size = 1; size < 4; size++) {
        const start = cropStart(o, ax);
        const len = cropLength(size, ax);
        const span = ax.dilation * (ax.kernel - 1) + 1;
        assert.equal(Math.floor((len - span) / ax.stride) + 1, size, 'outputs of a pads-0 op on the crop');
        // The last output reads exactly up to the crop's end, the first from its start.
        assert.equal(start, o * ax.stride - ax.padBegin);
        assert.equal(start + (size - 1) * ax.stride + span, start + len);
      }
    }
  }
});

test('place(): one size for all windows, starts clamped into the map, each region containing its range; τ caps centred', () => {
  const lo = Int32Array.from([0, 3, 7, 9]);
  const hi = Int32Array.from([2, 8, 12, 10]);
  const r = place(lo, hi, 12);
  assert.equal(r.size, 5);
  for (let w = 0; w < 4; w++) {
    assert.ok(r.starts[w] >= 0 && r.starts[w] + r.size <= 12);
    assert.ok(r.starts[w] <= lo[w] && r.starts[w] + r.size >= hi[w], `window ${w} contains its range`);
  }
  const capped = place(lo, hi, 12, 3);
  assert.equal(capped.size, 3);
  assert.equal(capped.starts[1], 4, 'the centre of [3, 8)');
  const u = unionRegion([{ size: 2, full: 10, starts: Int32Array.from([0, 8]) }, { size: 4, full: 10, starts: Int32Array.from([1, 5]) }]);
  assert.equal(u.size, 5);
  assert.deepEqual([...u.starts], [0, 5]);
  // A stride-2 1×1 conv that skips the changed column still gives a (size 1) region inside the map.
  const skip = windowRegion({ size: 1, full: 9, starts: Int32Array.from([1, 8]) }, { kernel: 1, stride: 2, dilation: 1, padBegin: 0 }, 5);
  assert.equal(skip.size, 1);
  assert.ok(skip.starts.every((s) => s >= 0 && s < 5));
});

test('cropIndices(): clean, patch and pad rows per position, per item', () => {
  // Source 4×4 map, patch 2×2 at (1, 1); crop 3×3 from (0, −1) (one padded column); two items, row 0 of item 1.
  const source: Region = [{ size: 2, full: 4, starts: Int32Array.from([1]) }, { size: 2, full: 4, starts: Int32Array.from([1]) }];
  const crop: Region = [{ size: 3, full: 4, starts: Int32Array.from([0]) }, { size: 3, full: 4, starts: Int32Array.from([-1]) }];
  const idx = cropIndices(crop, source, 2, [0], [1]);
  const clean = (y: number, x: number) => 16 + y * 4 + x;
  const patch = (y: number, x: number) => 32 + y * 2 + x;
  const pad = 32 + 4;
  assert.deepEqual([...idx], [pad, clean(0, 0), clean(0, 1), pad, clean(1, 0), patch(0, 0), pad, clean(2, 0), patch(1, 0)]);
});

// ---- incremental vs full recompute ----

function inputFor(dims: number[], seed: number): TensorData {
  const rng = new Rng(seed);
  return { data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rng.uniform() * 2 - 1), dims };
}

async function occlude(file: string, input: TensorData, params: Record<string, unknown>, target: TargetSpec = { kind: 'class', index: 0 }): Promise<ExplainResult> {
  const model = engine.open(path.join(DIR, file));
  return engine.explain({ model, input, method: 'occlusion', params: params as never, target });
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    max = Math.max(max, Math.abs(b[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  assert.ok(max > 0, 'the reference map is not all zero');
  return diff / max;
}

async function assertSame(file: string, input: TensorData, params: Record<string, unknown>, target?: TargetSpec): Promise<ExplainResult> {
  const inc = await occlude(file, input, { ...params, incremental: 'exact' }, target);
  const off = await occlude(file, input, { ...params, incremental: 'off' }, target);
  assert.equal(inc.extras!.incremental, 'exact', `ran incrementally: ${inc.extras!.incrementalReason}`);
  assert.equal(off.extras!.incremental, 'off');
  const e1 = maxRelDiff(inc.relevance.data, off.relevance.data);
  const e2 = maxRelDiff((inc.extras!.windows as TensorData).data, (off.extras!.windows as TensorData).data);
  assert.ok(e1 <= 1e-5 && e2 <= 1e-5, `${file} ${JSON.stringify(params)}: map ${e1.toExponential(2)}, windows ${e2.toExponential(2)}`);
  inc.targetValue.forEach((v, i) => assert.ok(Math.abs(v - off.targetValue[i]) <= 1e-5 * Math.max(1, Math.abs(v))));
  return inc;
}

const CASES: { file: string; dims: number[]; params: Record<string, unknown> }[] = [
  { file: 'vgglike.onnx', dims: [1, 3, 64, 62], params: { box: [5, 5], stride: [3, 3] } },
  { file: 'vgglike.onnx', dims: [2, 3, 64, 62], params: { box: [4, 7], stride: [5, 4], fill: 'random', seed: 4, batch: 7 } },
  { file: 'vgglike.onnx', dims: [1, 3, 64, 62], params: { box: [1, 1], stride: [9, 11], fill: 'mean', batch: 1 } },
  { file: 'residual.onnx', dims: [1, 3, 24, 24], params: { box: [4, 4], stride: [2, 2], fill: 'blur:1.5', batch: 5 } },
  { file: 'residual.onnx', dims: [2, 3, 24, 24], params: { box: [6, 3], stride: [5, 7], measure: 'relative' } },
  { file: 'inception.onnx', dims: [1, 3, 20, 20], params: { box: [3, 3], stride: [2, 3], fill: 'random', seed: 9, batch: 6 } },
  { file: 'inception.onnx', dims: [2, 3, 20, 20], params: { box: [5, 5], stride: [4, 4], fill: 'value:0.1,0.9,0.4' } },
  { file: 'padded.onnx', dims: [2, 3, 20, 22], params: { box: [3, 4], stride: [2, 3], batch: 5 } },
  { file: 'padded.onnx', dims: [1, 3, 20, 22], params: { box: [8, 9], stride: [3, 4], fill: 'random' } },
];

for (const c of CASES) {
  test(`exact equals full recompute: ${c.file} N=${c.dims[0]} ${JSON.stringify(c.params)}`, async () => {
    const r = await assertSame(c.file, inputFor(c.dims, c.dims[0] * 7 + 1), c.params);
    const regions = r.extras!.incrementalRegions as TensorData;
    assert.ok(regions.dims[0] >= 2, 'several window ops ran on patches');
    for (let i = 0; i < regions.dims[0]; i++) {
      const [h, w, H, W] = regions.data.subarray(i * 4, i * 4 + 4);
      assert.ok(h >= 1 && w >= 1 && h <= H && w <= W && h * w <= 0.75 * H * W, `region ${h}×${w} of ${H}×${W}`);
    }
  });
}

test('exact on the embedded trained model (EfficientNet-lite0: constant Pads, depthwise convolutions, the batch read from Shape)', async () => {
  const model = engine.open(path.join(__dirname, '..', '..', 'assets', 'models', 'efficientnet-lite0.onnx'));
  const input = loadImageFile(path.join(__dirname, '..', '..', 'assets', 'samples', 'chelsea.png'), model.preprocessing());
  const params = { box: [24, 24], stride: [100, 96], fill: 'random', seed: 2 };
  const target: TargetSpec = { kind: 'class', index: 281 };
  const inc = await engine.explain({ model, input, method: 'occlusion', params: { ...params, incremental: 'exact' } as never, target });
  const off = await engine.explain({ model, input, method: 'occlusion', params: { ...params, incremental: 'off' } as never, target });
  assert.equal(inc.extras!.incremental, 'exact', String(inc.extras!.incrementalReason));
  assert.ok((inc.extras!.incrementalRegions as TensorData).dims[0] >= 10, 'most of the network on patches');
  const e = maxRelDiff((inc.extras!.windows as TensorData).data, (off.extras!.windows as TensorData).data);
  assert.ok(e <= 1e-5, `windows: ${e.toExponential(2)}`);
});

test('exact: patches stop at a pool without a patch rule (AveragePool, padding, count_include_pad 0) and at global pooling', async () => {
  const vgg = await occlude('vgglike.onnx', inputFor([1, 3, 64, 62], 2), { box: [5, 5], stride: [6, 6] });
  assert.match(String(vgg.extras!.incrementalFullFrom), /AveragePool/);
  const res = await occlude('residual.onnx', inputFor([1, 3, 24, 24], 2), { box: [3, 3], stride: [6, 6] });
  assert.ok(String(res.extras!.incrementalLayers).split('\n').length >= 6, 'both residual blocks on patches');
});

test('exact: an intermediate layer as the target (the patch is materialised as the output)', async () => {
  const input = inputFor([1, 3, 24, 24], 5);
  const model = engine.open(path.join(DIR, 'residual.onnx'));
  const { graph } = await model.prepare(input.dims, false);
  const conv = graph.nodes.filter((n) => n.op === 'Conv')[2].outputs[0];
  await assertSame('residual.onnx', input, { box: [4, 4], stride: [3, 3] }, { kind: 'unit', tensor: conv, channel: 1 });
});

test('approx: τ = 1 never caps a region (equals exact); a small τ caps every region and reports their sizes', async () => {
  const input = inputFor([1, 3, 64, 62], 6);
  const params = { box: [5, 5], stride: [3, 3] };
  const exact = await occlude('vgglike.onnx', input, { ...params, incremental: 'exact' });
  const loose = await occlude('vgglike.onnx', input, { ...params, incremental: 'approx', 'approx-threshold': 1 });
  assert.equal(loose.extras!.incremental, 'approx');
  assert.ok(maxRelDiff(loose.relevance.data, exact.relevance.data) <= 1e-5);
  const tight = await occlude('vgglike.onnx', input, { ...params, incremental: 'approx', 'approx-threshold': 0.25 });
  const regions = tight.extras!.incrementalRegions as TensorData;
  for (let i = 0; i < regions.dims[0]; i++) {
    const [h, w, H, W] = regions.data.subarray(i * 4, i * 4 + 4);
    assert.ok(h <= Math.max(1, Math.round(0.25 * H)) && w <= Math.max(1, Math.round(0.25 * W)), `capped: ${h}×${w} of ${H}×${W}`);
  }
  assert.ok(tight.relevance.data.every(Number.isFinite));
  assert.ok(maxRelDiff(tight.relevance.data, exact.relevance.data) > 1e-4, 'a capped region changes the map');
});

test('fall-backs: full recompute with the reason in extras (no patch rule, channels-last, 1-D, the box covering the input)', async () => {
  const mlp = await occlude('mlp.onnx', inputFor([1, 3, 8, 8], 1), { box: [3, 3], stride: [2, 2] });
  assert.equal(mlp.extras!.incremental, 'off');
  assert.match(String(mlp.extras!.incrementalReason), /does not apply.*Flatten/);
  const nhwc = await occlude('nhwc.onnx', inputFor([1, 12, 12, 3], 1), { box: [3, 3], stride: [3, 3] });
  assert.equal(nhwc.extras!.incremental, 'off');
  assert.match(String(nhwc.extras!.incrementalReason), /channels-last/);
  const whole = await occlude('vgglike.onnx', inputFor([1, 3, 64, 62], 1), { box: [64, 62], stride: [1, 1] });
  assert.equal(whole.extras!.incremental, 'off');
  assert.match(String(whole.extras!.incrementalReason), /covers most of its map/);
  const signal = engine.open(path.join(FIXTURES, 'occlusion', 'synth1d.onnx'));
  const dims = signal.inputShapeFor(1);
  const one = await engine.explain({ model: signal, input: inputFor(dims, 1), method: 'occlusion', params: { box: [5, 5], stride: [5, 5] } as never, target: { kind: 'class', index: 0 } });
  assert.match(String(one.extras!.incrementalReason), /1-D/);
  const off = await occlude('vgglike.onnx', inputFor([1, 3, 64, 62], 1), { box: [5, 5], stride: [9, 9], incremental: 'off' });
  assert.equal(off.extras!.incremental, 'off');
  assert.equal(off.extras!.incrementalReason, undefined, 'off by request gives no reason');
});

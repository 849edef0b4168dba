/**
 * Occlusion against the independent numpy reference (tools/occlusion_ref.py → test/fixtures/occlusion), plus
 * seeds, the synthetic known-region models, streaming, cancellation and every bad-input error.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { readNpy } from '../../src/engine/npy';
import { FeatureVisError } from '../../src/engine/errors';
import { windowStarts } from '../../src/engine/occlusion/windows';
import { COMMANDS } from '../../src/cli/main';
import { parseArgs } from '../../src/cli/args';
import type { Progress, TargetSpec, TensorData } from '../../src/protocol/types';
import { FIXTURES, relativeError } from './helpers';

const DIR = path.join(FIXTURES, 'occlusion');
const manifest = JSON.parse(fs.readFileSync(path.join(DIR, 'manifest.json'), 'utf8'));
const engine = new Engine({ threads: 1 });
after(() => engine.dispose());

interface Case {
  name: string;
  model: string;
  input: string;
  target: { class?: number[]; tensor?: string; channel?: number };
  params: Record<string, unknown>;
  map: string;
  windows: string;
  target_value: number[];
}

const targetOf = (t: Case['target']): TargetSpec => (t.class ? { kind: 'class', index: t.class } : { kind: 'unit', tensor: t.tensor!, channel: t.channel! });
const cases: Case[] = manifest.cases;
const byName = (n: string) => cases.find((c) => c.name === n)!;

async function runCase(c: Case, params: Record<string, unknown> = c.params, progress?: (p: Progress) => void) {
  const model = engine.open(path.join(DIR, c.model));
  const input = readNpy(path.join(DIR, c.input));
  return engine.explain({ model, input, method: 'occlusion', params: params as never, target: targetOf(c.target) }, undefined, progress);
}

for (const c of cases) {
  test(`reference: ${c.name} ${JSON.stringify(c.params)}`, async () => {
    const r = await runCase(c);
    const refMap = readNpy(path.join(DIR, c.map));
    const refWin = readNpy(path.join(DIR, c.windows));
    const win = r.extras!.windows as TensorData;
    assert.deepEqual(r.relevance.dims, refMap.dims);
    assert.deepEqual(win.dims, refWin.dims);
    const e1 = relativeError(r.relevance.data, refMap.data);
    const e2 = relativeError(win.data, refWin.data);
    assert.ok(e1 <= 1e-5, `per-position map: relative error ${e1.toExponential(2)} > 1e-5`);
    assert.ok(e2 <= 1e-5, `per-window map: relative error ${e2.toExponential(2)} > 1e-5`);
    r.targetValue.forEach((v, i) => assert.ok(Math.abs(v - c.target_value[i]) <= 1e-5 * Math.max(1, Math.abs(v)), `target ${v} vs ${c.target_value[i]}`));
  });
}

test('seeds: the same seed reproduces the random fill exactly, another seed differs', async () => {
  const c = byName('convnet_random_s1');
  const a = await runCase(c);
  const b = await runCase(c, { ...c.params, batch: 5 });
  assert.deepEqual(a.relevance.data, b.relevance.data, 'same seed, different batching → identical');
  const d = await runCase(c, { ...c.params, seed: 2 });
  assert.ok(relativeError(d.relevance.data, a.relevance.data) > 1e-2, 'seed 2 gives a different map');
  const ref2 = readNpy(path.join(DIR, byName('convnet_random_s2').map));
  assert.ok(relativeError(d.relevance.data, ref2.data) <= 1e-5);
});

function touches(start: number, box: number, lo: number, hi: number): boolean {
  return start < hi && start + box > lo;
}

for (const name of ['synth2d_value', 'synth2d_random']) {
  test(`known region (2-D, ${name}): windows non-zero exactly where they touch the region`, async () => {
    const c = byName(name);
    const r = await runCase(c);
    const { rows, cols } = manifest.region2d as { rows: [number, number]; cols: [number, number] };
    const [bh, bw] = c.params.box as number[];
    const [sh, sw] = c.params.stride as number[];
    const ys = windowStarts(20, bh, sh);
    const xs = windowStarts(20, bw, sw);
    assert.deepEqual(r.extras!.windowRows, ys);
    const win = r.extras!.windows as TensorData;
    let hits = 0;
    ys.forEach((y, i) => xs.forEach((x, j) => {
      const expect = touches(y, bh, rows[0], rows[1]) && touches(x, bw, cols[0], cols[1]);
      const v = win.data[i * xs.length + j];
      assert.equal(v !== 0, expect, `window (${y}, ${x}): ${v}`);
      if (expect) hits++;
    }));
    assert.ok(hits > 0);
  });
}

for (const name of ['synth1d_random', 'synth1d_blur']) {
  test(`known region (1-D signal, ${name}): windows non-zero exactly where they touch the region`, async () => {
    const c = byName(name);
    const r = await runCase(c);
    const { cols } = manifest.region1d as { cols: [number, number] };
    const box = (c.params.box as number[])[0];
    const xs = windowStarts(50, box, (c.params.stride as number[])[0]);
    assert.equal(xs[xs.length - 1], 43, 'a last window flush with the far edge');
    const win = r.extras!.windows as TensorData;
    assert.deepEqual(win.dims, [1, 1, xs.length]);
    assert.deepEqual(r.relevance.dims, [1, 1, 50]);
    xs.forEach((x, i) => assert.equal(win.data[i] !== 0, touches(x, box, cols[0], cols[1]), `window at ${x}: ${win.data[i]}`));
  });
}

test('window placement: 0, s, 2s, … plus a window flush with the far edge', () => {
  assert.deepEqual(windowStarts(24, 5, 3), [0, 3, 6, 9, 12, 15, 18, 19]);
  assert.deepEqual(windowStarts(24, 6, 6), [0, 6, 12, 18]);
  assert.deepEqual(windowStarts(7, 7, 3), [0]);
  assert.deepEqual(windowStarts(224, 16, 8).length, 27);
});

test('streaming: partial maps as rows complete, fraction up to 1 with a time estimate; the last partial is the map', async () => {
  const c = byName('convnet_value');
  const seen: Progress[] = [];
  const r = await runCase(c, { ...c.params, batch: 4 }, (p) => seen.push(p));
  const fractions = seen.map((p) => p.fraction!);
  assert.ok(fractions.length >= 2);
  for (let i = 1; i < fractions.length; i++) assert.ok(fractions[i] > fractions[i - 1]);
  assert.equal(fractions[fractions.length - 1], 1);
  assert.ok(seen.every((p) => typeof p.etaMs === 'number' && p.etaMs >= 0));
  const partials = seen.filter((p) => p.partial);
  assert.ok(partials.length >= 1);
  const last = partials[partials.length - 1].partial!;
  assert.deepEqual(last.dims, r.relevance.dims);
  assert.deepEqual(last.data, r.relevance.data);
});

test('cancellation between batches', async () => {
  const c = byName('convnet_value');
  const token = { isCancellationRequested: false };
  const model = engine.open(path.join(DIR, c.model));
  const input = readNpy(path.join(DIR, c.input));
  let calls = 0;
  await assert.rejects(
    engine.explain({ model, input, method: 'occlusion', params: { ...c.params, batch: 2 } as never, target: targetOf(c.target) }, token, () => {
      calls++;
      token.isCancellationRequested = true;
    }),
    (e: unknown) => e instanceof FeatureVisError && e.code === 'Cancelled',
  );
  assert.equal(calls, 1);
});

const BAD: [string, Record<string, unknown>, RegExp][] = [
  ['box larger than the input', { box: [30, 7] }, /box 30×7 is larger than the input \(24×24\)/],
  ['zero box', { box: [0, 4] }, /box must be positive whole numbers/],
  ['negative stride', { stride: [-1, 4] }, /stride must be positive whole numbers/],
  ['zero stride', { stride: [0, 0] }, /stride must be positive whole numbers/],
  ['unknown fill', { fill: 'checkerboard' }, /unknown fill 'checkerboard'/],
  ['colour with the wrong channel count', { fill: 'value:0.5,0.5' }, /2 components but the input has 3 channels/],
  ['non-numeric colour', { fill: 'value:red' }, /numbers separated by commas/],
  ['bad blur sigma', { fill: 'blur:-2' }, /σ must be a positive number/],
  ['non-integer seed', { fill: 'random', seed: 1.5 }, /seed must be a whole number/],
  ['unknown measure', { measure: 'ratio' }, /measure must be one of difference, relative/],
];

for (const [what, params, message] of BAD) {
  test(`bad input: ${what} → one clear error`, async () => {
    await assert.rejects(runCase(byName('convnet_value'), params), (e: unknown) => {
      assert.ok(e instanceof FeatureVisError, String(e));
      assert.equal(e.code, 'InvalidParams');
      assert.match(e.message, message);
      return true;
    });
  });
}

test('bad input: a 1-D input with two different box sizes', async () => {
  await assert.rejects(runCase(byName('synth1d_blur'), { box: [7, 3] }), /1-D, so box takes one value/);
});

const convnetArgs = (extra: string[], out: string) => parseArgs(['--model', path.join(FIXTURES, 'convnet', 'model.onnx'), '--input', path.join(FIXTURES, 'convnet', 'input.npy'), '--method', 'occlusion', ...extra, '--out', out]);

test('CLI: featurevis explain --method occlusion --box 16,16 --stride 8,8 --fill value:0.5,0.5,0.5 --seed 1 writes (N,1,H,W)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-occ-'));
  const out = path.join(dir, 'x.npy');
  const log = console.log;
  console.log = () => undefined;
  try {
    await COMMANDS.explain(engine, convnetArgs(['--box', '16,16', '--stride', '8,8', '--fill', 'value:0.5,0.5,0.5', '--seed', '1'], out));
  } finally {
    console.log = log;
  }
  assert.deepEqual(readNpy(out).dims, [2, 1, 24, 24]);
  fs.rmSync(dir, { recursive: true });
});

test('CLI: bad flags fail with one error and leave no output file', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-occ-'));
  for (const flags of [['--box', '32,32'], ['--stride', '0,8'], ['--fill', 'plaid'], ['--fill', 'value:1,1'], ['--fill', 'random', '--seed', '0.5']]) {
    const out = path.join(dir, 'x.npy');
    await assert.rejects(COMMANDS.explain(engine, convnetArgs(flags, out)), FeatureVisError, flags.join(' '));
    assert.deepEqual(fs.readdirSync(dir), [], `${flags.join(' ')} left files behind`);
  }
  fs.rmSync(dir, { recursive: true });
});

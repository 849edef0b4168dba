/** The step loop shared by activation-max, invert and the inverter's training (reconstruct/optimise-loop.ts). */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { optimiseImage, runSteps } from '../../src/engine/reconstruct/optimise-loop';
import type { ImageParam } from '../../src/engine/reconstruct/param';
import type { Progress } from '../../src/protocol/types';

test('runSteps: traces values in order, reports every k-th and the last step, skips steps without a value', async () => {
  const reports: { i: number; value: number; etaMs: number }[] = [];
  const trace = await runSteps({
    steps: 8, every: 3,
    step: async (i) => (i === 4 ? undefined : i * 10),
    report: (i, value, etaMs) => reports.push({ i, value, etaMs }),
  });
  assert.deepEqual(trace, [0, 10, 20, 30, 50, 60, 70]);
  // Step 5 ((5 + 1) % 3 === 0) is reported; step 4 had no value; step 7 is the last.
  assert.deepEqual(reports.map((r) => r.i), [2, 5, 7]);
  assert.deepEqual(reports.map((r) => r.value), [20, 50, 70]);
  assert.ok(reports.every((r) => r.etaMs >= 0));
  assert.equal(reports[2].etaMs, 0);
});

test('runSteps: every step is reported by default; cancellation is checked before each step', async () => {
  const token = { isCancellationRequested: false };
  const ran: number[] = [];
  const reported: number[] = [];
  await assert.rejects(runSteps({
    steps: 10, token,
    step: async (i) => {
      ran.push(i);
      if (i === 2) token.isCancellationRequested = true;
      return i;
    },
    report: (i) => reported.push(i),
  }), /cancelled/);
  assert.deepEqual(ran, [0, 1, 2]);
  assert.deepEqual(reported, [0, 1, 2]);
  await assert.rejects(runSteps({ steps: 3, token, step: async () => assert.fail('must not run') }), /cancelled/);
});

/** A pixel parameterisation clipped to [−1, 1], counting its calls. */
function boxParam(n: number): ImageParam & { projections: number } {
  const params = new Float32Array(n).fill(1);
  return {
    params, projections: 0,
    image: () => params,
    backward: (g) => g,
    project() {
      this.projections++;
      for (let i = 0; i < n; i++) params[i] = Math.max(-1, Math.min(1, params[i]));
    },
  };
}

test('optimiseImage: descends the objective with the scheduled rate; partial results are copies of the image', async () => {
  const param = boxParam(4);
  const target = Float32Array.of(0.5, -0.25, 0, 0.75);
  const rates: number[] = [];
  const progress: Progress[] = [];
  const trace = await optimiseImage({
    param, dims: [1, 1, 2, 2], steps: 200, every: 50, optimizer: 'sgd', token: { isCancellationRequested: false },
    lr: (step) => {
      rates.push(step);
      return step < 100 ? 0.05 : 0.01;
    },
    progress: (p) => progress.push(p),
  }, {
    // ½‖x − t‖², gradient x − t.
    evaluate: async (x) => ({ value: x.reduce((a, v, i) => a + 0.5 * (v - target[i]) ** 2, 0), grad: Float32Array.from(x, (v, i) => v - target[i]) }),
    describe: (step) => `step ${step + 1}`,
  });
  assert.equal(trace.length, 200);
  assert.ok(trace[199] < 1e-6 && trace[199] < trace[0], `${trace[0]} → ${trace[199]}`);
  assert.deepEqual(rates, Array.from({ length: 200 }, (_, i) => i));
  assert.equal(param.projections, 200);
  assert.deepEqual(progress.map((p) => p.message), ['step 50', 'step 100', 'step 150', 'step 200']);
  assert.deepEqual(progress.map((p) => p.fraction), [0.25, 0.5, 0.75, 1]);
  const last = progress[3].partial!;
  assert.deepEqual(last.dims, [1, 1, 2, 2]);
  assert.notEqual(last.data, param.params);
  assert.deepEqual([...last.data], [...param.params]);
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(param.params[i] - target[i]) < 1e-3);
});

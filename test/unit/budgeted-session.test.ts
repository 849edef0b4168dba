/**
 * Occlusion's derived sessions (target outputs, incremental graphs) live in the memory budget shared with the
 * compiled explanation sessions (issue 13), and an eviction never releases a session under a running run.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type * as ort from 'onnxruntime-node';
import { BudgetedSession } from '../../src/engine/budgeted-session';
import { SessionBudget } from '../../src/engine/session-budget';
import { Engine } from '../../src/engine/engine';
import { readNpy } from '../../src/engine/npy';
import { FIXTURES } from './helpers';

/** A stand-in session whose runs wait for `gate`, recording creations, runs and releases. */
function fakeFactory(log: string[], gate: { open: Promise<void> }) {
  let n = 0;
  return async () => {
    const id = ++n;
    log.push(`create ${id}`);
    let released = false;
    return {
      run: async () => {
        if (released) throw new Error(`session ${id} used after release`);
        await gate.open;
        log.push(`run ${id}`);
        return {};
      },
      release: async () => {
        released = true;
        log.push(`release ${id}`);
      },
    } as unknown as ort.InferenceSession;
  };
}

test('an evicted derived session is released only after its running run, and the next run creates it again', async () => {
  const log: string[] = [];
  let open!: () => void;
  const gate = { open: new Promise<void>((r) => (open = r)) };
  const budget = new SessionBudget(1, 1e12);
  const s = new BudgetedSession(budget, 'm|derived|a', 'm', fakeFactory(log, gate));
  const running = s.run({}, ['y']);
  await new Promise((r) => setImmediate(r));
  budget.set('m|other', 'm', Promise.resolve({ bytes: 0, session: { release: async () => undefined } }));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(budget.keys(), ['m|other'], 'count 1: the derived session is evicted');
  assert.deepEqual(log, ['create 1'], 'but not released while its run is in flight');
  open();
  await running;
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(log, ['create 1', 'run 1', 'release 1']);
  await s.run({}, ['y']);
  assert.deepEqual(log.slice(3), ['create 2', 'run 2'], 'the next run builds a fresh session');
  assert.deepEqual(budget.keys(), ['m|derived|a']);
});

test('occlusion on an intermediate target and incremental occlusion hold their sessions in the engine budget', async () => {
  const model = path.join(FIXTURES, 'convnet', 'model.onnx');
  const input = readNpy(path.join(FIXTURES, 'convnet', 'input.npy'));
  const engine = new Engine({ threads: 1 });
  try {
    const m = engine.open(model);
    const layers = await engine.layers(m);
    const mid = layers.find((l) => l.op === 'Relu' && l.shape.length === 4)!;
    await engine.explain({ model: m, input, method: 'occlusion', params: { incremental: 'off' } as never, target: { kind: 'unit', tensor: mid.tensor, channel: 0 } });
    assert.ok(engine.budget.keys().some((k) => k.endsWith(`|derived|output|${mid.tensor}`)), engine.budget.keys().join('\n'));
    await engine.explain({ model: m, input, method: 'occlusion', params: { incremental: 'exact' } as never });
    const derived = engine.budget.keys().filter((k) => k.includes('|derived|incremental'));
    assert.equal(derived.length, 2, 'the incremental graph and the clean forward');
  } finally {
    await engine.dispose();
  }
});

/**
 * One memory budget across all models and sessions (issue 11, item 4): sessions of every open model share one
 * LRU, measured by what creating them grew the process by; a model that alone exceeds the budget gets one clear
 * error; least recently used models are closed.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { SessionBudget } from '../../src/engine/session-budget';
import { FeatureVisError } from '../../src/engine/errors';
import { FIXTURES } from './helpers';
import { readNpy } from '../../src/engine/npy';

const fake = (bytes: number, released: string[], name: string) => Promise.resolve({ bytes, session: { release: async () => void released.push(name) } });

test('the budget evicts the least recently used session of any owner, by bytes and by count', async () => {
  const released: string[] = [];
  const b = new SessionBudget<{ bytes: number; session: { release(): Promise<void> } }>(3, 100);
  b.set('a1', 'A', fake(40, released, 'a1'));
  b.set('b1', 'B', fake(40, released, 'b1'));
  await new Promise((r) => setImmediate(r));
  b.get('a1'); // a1 is now the most recent
  b.set('b2', 'B', fake(40, released, 'b2'));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(b.keys(), ['a1', 'b2'], '120 > 100 bytes: b1, the least recently used, goes');
  b.clear('A');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(b.keys(), ['b2']);
  assert.deepEqual(released.sort(), ['a1', 'b1']);
  assert.throws(() => b.checkFits(101, 'explaining big.onnx'), /big\.onnx needs about 0 MB, more than the whole memory budget .*featurevis\.memoryBudgetMB/);
});

const convnet = path.join(FIXTURES, 'convnet', 'model.onnx');
const input = () => readNpy(path.join(FIXTURES, 'convnet', 'input.npy'));

test('compiled sessions of different models share the one budget of the engine', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-budget-'));
  const copy = path.join(dir, 'copy.onnx');
  fs.copyFileSync(convnet, copy);
  const engine = new Engine({ threads: 1 });
  try {
    await engine.explain({ model: engine.open(convnet), input: input(), method: 'gradient' });
    await engine.explain({ model: engine.open(copy), input: input(), method: 'gradient' });
    const owners = new Set(engine.budget.keys().map((k) => k.split('|')[0]));
    assert.deepEqual([...owners].sort(), [path.resolve(copy), path.resolve(convnet)].sort());
    assert.ok(engine.budget.heldBytes > 0);
  } finally {
    await engine.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a model whose explanation alone exceeds the budget gets one clear error', async () => {
  const engine = new Engine({ threads: 1, memoryBudgetMB: 0.01 });
  after(() => engine.dispose());
  const error = await engine.explain({ model: engine.open(convnet), input: input(), method: 'gradient' }).then(() => undefined, (e) => e);
  assert.ok(error instanceof FeatureVisError && error.code === 'ModelLoadFailed', String(error));
  assert.match(error.message, /explaining model\.onnx needs about \d+ MB, more than the whole memory budget of 0 MB; raise the featurevis\.memoryBudgetMB setting/);
});

test('beyond eight open models the least recently used is closed and its sessions released', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-models-'));
  const engine = new Engine({ threads: 1 });
  try {
    const files = Array.from({ length: 9 }, (_, i) => path.join(dir, `m${i}.onnx`));
    for (const f of files) fs.copyFileSync(convnet, f);
    await engine.explain({ model: engine.open(files[0]), input: input(), method: 'gradient' });
    const first = engine.open(files[0]);
    for (const f of files.slice(1)) engine.open(f);
    await new Promise((r) => setImmediate(r));
    assert.ok(!engine.budget.keys().some((k) => k.startsWith(path.resolve(files[0]))), 'the first model\'s sessions are released');
    assert.notEqual(engine.open(files[0]), first, 'opening it again reads it anew');
  } finally {
    await engine.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

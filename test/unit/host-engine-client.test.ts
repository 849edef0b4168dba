import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { EngineClient } from '../../src/host/engineClient';
import { Requests } from '../../src/protocol/messages';
import { CancellationSource, RpcError } from '../../src/protocol/rpc';

const root = path.resolve(__dirname, '../..');
const logs: string[] = [];
const crashes: string[] = [];
const client = new EngineClient({
  modulePath: path.join(root, 'src/engine-process/main.ts'),
  execArgv: ['--import', 'tsx'],
  env: { FEATUREVIS_TEST_HOOKS: '1' },
  log: (l) => logs.push(l),
  onCrash: (m) => crashes.push(m),
  maxRestarts: 3,
});
const started: number[] = [];
client.onDidStart((pid) => started.push(pid));
after(() => client.dispose());
const sample = path.join(root, 'assets/samples/chelsea.png');

test('engine client: lazily forks, loads an image, predicts and explains with Float32Arrays intact', async () => {
  assert.equal(client.pid, undefined, 'no process before the first request');
  const info = await client.request(Requests.info, {});
  assert.equal(info.pid, client.pid);
  assert.deepEqual(started, [info.pid], 'onDidStart carried the pid of the forked process');
  const img = await client.request(Requests.loadImage, { path: sample });
  assert.ok(img.input.data instanceof Float32Array);
  assert.deepEqual(img.input.dims, [1, 3, 224, 224]);
  assert.ok(img.preview.data instanceof Uint8Array);
  const preds = await client.request(Requests.predict, { input: img.input, top: 5 });
  assert.equal(preds.length, 5);
  assert.match(preds[0].label ?? '', /cat|tabby/i);
  const progress: unknown[] = [];
  const r = await client.request(Requests.explain, { input: img.input, method: 'gradient' }, { onProgress: (p) => progress.push(p) });
  assert.ok(r.relevance.data instanceof Float32Array);
  assert.deepEqual(r.relevance.dims, [1, 3, 224, 224]);
  assert.ok(r.relevance.data.some((v) => v !== 0));
});

test('engine client: first-layer filters of the default model (stem Conv behind a Pad)', async () => {
  const f = await client.request(Requests.filters, {});
  assert.ok(f.weights.data instanceof Float32Array);
  assert.equal(f.weights.dims.length, 4);
  assert.equal(f.weights.dims[1], 3);
});

test('engine client: engine errors arrive typed', async () => {
  const img = await client.request(Requests.loadImage, { path: sample });
  await assert.rejects(client.request(Requests.explain, { input: img.input, method: 'no-such-method' }), (e: RpcError) => e.code === 'InvalidParams' && /unknown method/.test(e.message));
  await assert.rejects(client.request(Requests.loadImage, { path: '/nonexistent.png' }), (e: RpcError) => e.code === 'InvalidInput');
  await assert.rejects(client.request(Requests.summary, { model: '/nonexistent.onnx' }), (e: RpcError) => e.code === 'ModelLoadFailed');
});

test('engine client: cancelling an already-cancelled request never reaches the engine', async () => {
  const src = new CancellationSource();
  src.cancel();
  await assert.rejects(client.request(Requests.methods, {}, { token: src.token }), (e: RpcError) => e.code === 'Cancelled');
});

test('engine client: a killed engine fails pending requests with EngineCrashed; the next request restarts it', async () => {
  const img = await client.request(Requests.loadImage, { path: sample });
  const pid = client.pid;
  const pending = client.request(Requests.explain, { input: img.input, method: 'lrp-epsilon' });
  setTimeout(() => client.kill('SIGKILL'), 50);
  await assert.rejects(pending, (e: RpcError) => e.code === 'EngineCrashed' && /killed \(SIGKILL\)/.test(e.message));
  assert.equal(crashes.length, 1);
  const info = await client.request(Requests.info, {});
  assert.notEqual(info.pid, pid, 'a fresh process');
  assert.equal(started.at(-1), info.pid, 'onDidStart fired for the restart');
  const methods = await client.request(Requests.methods, {});
  assert.ok(methods.some((m) => m.id === 'guided-backprop'));
  assert.ok(logs.some((l) => /engine process \d+ was killed/.test(l)), 'the log says what happened');
});

test('engine client: an engine that exits by itself is restarted too', async () => {
  const before = crashes.length;
  await client.request(Requests.crash, {});
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(crashes.length, before + 1);
  assert.match(crashes.at(-1)!, /exited with code 70/);
  assert.ok((await client.request(Requests.info, {})).pid > 0);
});

test('engine client: restarts are bounded', async () => {
  const bounded = new EngineClient({ modulePath: path.join(root, 'src/engine-process/main.ts'), execArgv: ['--import', 'tsx'], maxRestarts: 1 });
  try {
    for (let i = 0; i < 2; i++) {
      await bounded.request(Requests.info, {});
      bounded.kill();
      await new Promise((r) => setTimeout(r, 300));
    }
    await assert.rejects(bounded.request(Requests.info, {}), (e: RpcError) => e.code === 'EngineCrashed' && /not restarting/.test(e.message));
    bounded.resetRestarts();
    assert.ok((await bounded.request(Requests.info, {})).pid > 0);
  } finally {
    bounded.dispose();
  }
});

test('engine client: the crash test hook does not exist in an engine started without FEATUREVIS_TEST_HOOKS', async () => {
  const plain = new EngineClient({ modulePath: path.join(root, 'src/engine-process/main.ts'), execArgv: ['--import', 'tsx'], env: { FEATUREVIS_TEST_HOOKS: undefined } });
  try {
    await assert.rejects(plain.request(Requests.crash, {}), (e: RpcError) => e.code !== 'EngineCrashed');
    assert.ok((await plain.request(Requests.info, {})).pid > 0, 'still running');
  } finally {
    plain.dispose();
  }
});

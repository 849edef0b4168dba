import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { CancellationSource, Ping, RpcConnection, RpcError, request } from '../../src/protocol/rpc';
import { transportPair } from './helpers';
import { parseWebviewMessage } from '../../src/protocol/messages';
import type { TensorData } from '../../src/protocol/types';

const Double = request<TensorData, TensorData>('double');
const Slow = request<{ steps: number }, number, number>('slow');
const Throws = request<Record<string, never>, void>('throws');

function setup() {
  const [a, b] = transportPair();
  const client = new RpcConnection(a, 'c');
  const server = new RpcConnection(b, 's');
  server.onRequest(Double, (t) => ({ data: t.data.map((v) => v * 2), dims: t.dims }));
  let cancelledAtStep = -1;
  server.onRequest(Slow, async ({ steps }, ctx) => {
    for (let i = 0; i < steps; i++) {
      if (ctx.token.isCancellationRequested) { cancelledAtStep = i; throw new Error('stopped'); }
      ctx.progress(i);
      await new Promise((r) => setTimeout(r, 10));
    }
    return steps;
  });
  server.onRequest(Throws, () => { throw Object.assign(new Error('bad ε'), { code: 'InvalidParams' }); });
  return { client, server, cancelledAt: () => cancelledAtStep };
}

test('round trip keeps a Float32Array a Float32Array', async () => {
  const { client } = setup();
  const data = Float32Array.from([1.5, -2.25, 3e-8, 7]);
  const r = await client.sendRequest(Double, { data, dims: [2, 2] });
  assert.ok(r.data instanceof Float32Array);
  assert.deepEqual([...r.data], [3, -4.5, 6e-8, 14].map((v) => Math.fround(v)));
  assert.deepEqual(r.dims, [2, 2]);
});

test('Float32Array crosses a real fork with serialization advanced', async () => {
  const child = spawn(process.execPath, ['-e', "process.on('message', m => { process.send({ back: m, isF32: m.data instanceof Float32Array }); process.disconnect(); })"],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
  const reply = await new Promise<{ back: { data: Float32Array }; isF32: boolean }>((res) => { child.once('message', (m) => res(m as never)); child.send({ data: Float32Array.from([1, 2, 3]) }); });
  assert.equal(reply.isF32, true);
  assert.ok(reply.back.data instanceof Float32Array);
  assert.deepEqual([...reply.back.data], [1, 2, 3]);
});

test('cancellation before the request is sent rejects with Cancelled without calling the handler', async () => {
  const { client } = setup();
  const src = new CancellationSource();
  src.cancel();
  await assert.rejects(client.sendRequest(Slow, { steps: 3 }, { token: src.token }), (e: RpcError) => e.code === 'Cancelled');
});

test('cancellation during a request reaches the handler between steps and answers Cancelled', async () => {
  const t = setup();
  const src = new CancellationSource();
  const progress: number[] = [];
  const p = t.client.sendRequest(Slow, { steps: 100 }, { token: src.token, onProgress: (v) => { progress.push(v); if (v === 2) src.cancel(); } });
  await assert.rejects(p, (e: RpcError) => e.code === 'Cancelled');
  await new Promise((r) => setTimeout(r, 30));
  assert.ok(t.cancelledAt() >= 3 && t.cancelledAt() < 10, `handler stopped at step ${t.cancelledAt()}`);
  assert.deepEqual(progress.slice(0, 3), [0, 1, 2]);
});

test('a throwing handler still answers, with a typed error', async () => {
  const { client } = setup();
  await assert.rejects(client.sendRequest(Throws, {}), (e: RpcError) => e.code === 'InvalidParams' && e.message === 'bad ε');
  // and the connection keeps working
  const r = await client.sendRequest(Slow, { steps: 1 });
  assert.equal(r, 1);
});

test('an unknown method answers an error; close() fails pending requests', async () => {
  const { client } = setup();
  await assert.rejects(client.sendRequest(request<object, void>('nope'), {}), /unknown method 'nope'/);
  const p = client.sendRequest(Slow, { steps: 50 });
  client.close({ code: 'EngineCrashed', message: 'gone' });
  await assert.rejects(p, (e: RpcError) => e.code === 'EngineCrashed');
});

test('every connection answers the heartbeat ping without a registered handler', async () => {
  const { client } = setup();
  assert.equal(await client.sendRequest(Ping, {}), true);
});

test('invalid webview messages are rejected with a reason', () => {
  const cases: [unknown, RegExp][] = [
    [null, /not an object/],
    ['run', /not an object/],
    [{ type: 'explode' }, /unknown type/],
    [{ type: 'run', seq: -1, slot: 'main', method: 'gradient', params: {}, target: { kind: 'top' } }, /seq/],
    [{ type: 'run', seq: 1, slot: 'main', method: 42, params: {}, target: { kind: 'top' } }, /method/],
    [{ type: 'run', seq: 1, slot: 'main', method: 'gradient', params: { eps: { evil: true } }, target: { kind: 'top' } }, /params/],
    [{ type: 'run', seq: 1, slot: 'main', method: 'gradient', params: {}, target: { kind: 'class', index: 1.5 } }, /target/],
    [{ type: 'decoded', width: 2, height: 2, data: new ArrayBuffer(3) }, /length/],
    [{ type: 'export', png: 'data:image/png;base64,AAAA', name: 'x.png' }, /ArrayBuffer/],
    [{ type: 'run', seq: 1, slot: 'main', method: 'gradient', params: {}, target: { kind: 'top' }, region: { y0: 5, x0: 0, y1: 2, x1: 4 } }, /region/],
    [{ type: 'run', seq: 1, slot: 'main', method: 'gradient', params: {}, target: { kind: 'top' }, region: { y0: 0, x0: 0, y1: 2.5, x1: 4 } }, /region/],
  ];
  for (const [msg, why] of cases) {
    const r = parseWebviewMessage(msg);
    assert.equal(r.ok, false, JSON.stringify(msg));
    if (!r.ok) assert.match(r.error, why);
  }
  const ok = parseWebviewMessage({ type: 'run', seq: 3, slot: 'main', method: 'lrp-epsilon', params: { eps: 0.1 }, target: { kind: 'class', index: 281 } });
  assert.equal(ok.ok, true);
  const boxed = parseWebviewMessage({ type: 'run', seq: 4, slot: 'main', method: 'gradient', params: {}, target: { kind: 'class', index: 2 }, region: { y0: 1, x0: 2, y1: 3, x1: 4, extra: 'dropped' } });
  assert.deepEqual(boxed.ok && boxed.message.type === 'run' && boxed.message.region, { y0: 1, x0: 2, y1: 3, x1: 4 });
  assert.equal(parseWebviewMessage({ type: 'decoded', width: 1, height: 1, data: new ArrayBuffer(4) }).ok, true);
});

// The panel's Trust section, host side: TrustRunner over a real engine process streams each metric's result as a
// `trustResult`, ends with `trustDone`, reports engine errors as `trustError`, and a second request or a cancel
// stops the running one (no messages of the cancelled run arrive afterwards).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { EngineClient } from '../../src/host/engineClient';
import { TrustRunner } from '../../src/host/trustRunner';
import { Requests, type HostMessage, type WebviewMessage } from '../../src/protocol/messages';

const root = path.resolve(__dirname, '../..');
const client = new EngineClient({ modulePath: path.join(root, 'src/engine-process/main.ts'), execArgv: ['--import', 'tsx'], log: () => undefined, onCrash: () => undefined });
after(() => client.dispose());

const trust = (seq: number, metrics: Extract<WebviewMessage, { type: 'trust' }>['metrics'], method = 'gradient'): Extract<WebviewMessage, { type: 'trust' }> =>
  ({ type: 'trust', seq, slot: 'main', method, params: {}, target: { kind: 'top' }, metrics });

test('trust: deletion and insertion stream as results, then done; the curves run from 0 to 1', async () => {
  const { input } = await client.request(Requests.loadImage, { path: path.join(root, 'assets/samples/chelsea.png') });
  const posted: HostMessage[] = [];
  const runner = new TrustRunner(client, (m) => posted.push(m));
  await runner.run(trust(1, ['deletion', 'insertion']), undefined, input, {});
  const results = posted.filter((m) => m.type === 'trustResult').map((m) => (m as Extract<HostMessage, { type: 'trustResult' }>).result);
  assert.deepEqual(results.map((r) => r.metric).sort(), ['deletion', 'insertion']);
  assert.equal(posted.at(-1)?.type, 'trustDone');
  for (const r of results) {
    assert.equal(r.method, 'gradient');
    assert.ok(r.curve && r.curve.x[0] === 0 && r.curve.x.at(-1) === 1, `${r.metric} curve spans [0, 1]`);
    assert.ok(r.value > 0 && r.value < 1, `${r.metric} AUC of probabilities lies in (0, 1): ${r.value}`);
  }
  // The deletion curve starts at the model's probability of its top class and ends with every pixel replaced.
  const del = results.find((r) => r.metric === 'deletion')!;
  assert.ok(del.curve!.y[0] > del.curve!.y.at(-1)!, 'deleting every pixel lowers the top class probability');
});

test('trust: an unknown method is a trustError, not a crash', async () => {
  const { input } = await client.request(Requests.loadImage, { path: path.join(root, 'assets/samples/coffee.png') });
  const posted: HostMessage[] = [];
  await new TrustRunner(client, (m) => posted.push(m)).run(trust(2, ['deletion'], 'no-such-method'), undefined, input, {});
  assert.equal(posted.length, 1);
  assert.equal(posted[0].type, 'trustError');
  assert.match((posted[0] as Extract<HostMessage, { type: 'trustError' }>).message, /unknown method 'no-such-method'/);
});

test('trust: a second request cancels the first; nothing of the first arrives after', async () => {
  const { input } = await client.request(Requests.loadImage, { path: path.join(root, 'assets/samples/chelsea.png') });
  const posted: HostMessage[] = [];
  const runner = new TrustRunner(client, (m) => posted.push(m));
  const first = runner.run(trust(3, ['deletion', 'insertion'], 'lrp-epsilon'), undefined, input, {});
  const second = runner.run(trust(4, ['deletion']), undefined, input, {});
  await Promise.all([first, second]);
  assert.ok(!posted.some((m) => m.type === 'trustDone' && m.seq === 3), 'the cancelled run never reports done');
  assert.ok(posted.some((m) => m.type === 'trustDone' && m.seq === 4));
});

test('trust: requests of different slots run side by side; cancel stops them all', async () => {
  const { input } = await client.request(Requests.loadImage, { path: path.join(root, 'assets/samples/coffee.png') });
  const posted: HostMessage[] = [];
  const runner = new TrustRunner(client, (m) => posted.push(m));
  const cell = { ...trust(5, ['deletion']), slot: { kind: 'method' as const, method: 'gradient' } };
  await Promise.all([runner.run(trust(6, ['deletion']), undefined, input, {}), runner.run(cell, undefined, input, {})]);
  assert.ok([5, 6].every((seq) => posted.some((m) => m.type === 'trustDone' && m.seq === seq)), 'both slots finished');
  posted.length = 0;
  const a = runner.run(trust(7, ['deletion', 'insertion'], 'lrp-epsilon'), undefined, input, {});
  const b = runner.run({ ...cell, seq: 8 }, undefined, input, {});
  runner.cancel();
  await Promise.all([a, b]);
  assert.ok(!posted.some((m) => m.type === 'trustDone'), 'no run reports done after cancel');
});

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { EngineClient, type EngineClientOptions } from '../../src/host/engineClient';
import { installCrashHandlers } from '../../src/engine-process/main';
import { RpcError } from '../../src/protocol/rpc';
import { Fake } from './host-fake-engine';

const clients: EngineClient[] = [];
after(() => { for (const c of clients) c.dispose(); });
function fake(options: Partial<EngineClientOptions> = {}) {
  const crashes: string[] = [], logs: string[] = [];
  const client = new EngineClient({
    modulePath: path.join(__dirname, 'host-fake-engine.ts'), execArgv: ['--import', 'tsx'],
    log: (l) => logs.push(l), onCrash: (m) => crashes.push(m), heartbeatMs: 0, ...options,
  });
  clients.push(client);
  return { client, crashes, logs };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const waitFor = async (f: () => boolean, ms = 10_000) => { const end = Date.now() + ms; while (!f() && Date.now() < end) await sleep(20); return f(); };

test('supervision: a request that never answers fails after the deadline, with everything in flight; the engine restarts', async () => {
  const { client, crashes } = fake({ requestTimeoutMs: 3000 });
  const pid = await client.request(Fake.pid, {});
  const t0 = Date.now();
  const other = client.request(Fake.ticks, { n: 1000, ms: 1000 });
  await assert.rejects(client.request(Fake.hang, {}), (e: RpcError) => e.code === 'EngineCrashed' && /did not answer 'fake\/hang' within 3 s; it was restarted/.test(e.message));
  assert.ok(Date.now() - t0 >= 2900, 'not before the deadline');
  await assert.rejects(other, (e: RpcError) => e.code === 'EngineCrashed' && /did not answer/.test(e.message));
  assert.equal(crashes.length, 1);
  assert.ok(await waitFor(() => client.pid !== undefined && client.pid !== pid), 'a fresh process was started');
  const next = await client.request(Fake.pid, {});
  assert.notEqual(next, pid);
});

test('supervision: progress resets the deadline', async () => {
  const { client, crashes } = fake({ requestTimeoutMs: 1500 });
  await client.request(Fake.pid, {});
  const seen: number[] = [];
  // 8 × 400 ms = 3.2 s in all, over twice the deadline, but never 1.5 s without progress.
  assert.equal(await client.request(Fake.ticks, { n: 8, ms: 400 }, { onProgress: (v) => seen.push(v) }), 8);
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(crashes.length, 0);
});

test('supervision: an engine whose event loop is stuck misses its heartbeats and is restarted', async () => {
  const { client, crashes } = fake({ heartbeatMs: 200, heartbeatMisses: 3 });
  const pid = await client.request(Fake.pid, {});
  await sleep(700); // idle pings are answered: no restart
  assert.equal(client.pid, pid);
  await assert.rejects(client.request(Fake.block, { ms: 30_000 }), (e: RpcError) => e.code === 'EngineCrashed' && /stopped answering \(no heartbeat for/.test(e.message));
  assert.equal(crashes.length, 1);
  assert.notEqual(await client.request(Fake.pid, {}), pid);
});

test('supervision: an uncaught exception or unhandled rejection in the engine exits it; the host restarts it', async () => {
  const { client, crashes, logs } = fake();
  for (const rejection of [false, true]) {
    const pid = await client.request(Fake.pid, {});
    await client.request(Fake.throwLater, { rejection });
    assert.ok(await waitFor(() => crashes.length === (rejection ? 2 : 1)), 'the host saw the exit');
    assert.match(crashes.at(-1)!, /exited with code 1/);
    assert.notEqual(await client.request(Fake.pid, {}), pid);
  }
  assert.ok(logs.some((l) => /uncaught exception: Error: fake uncaught/.test(l)));
  assert.ok(logs.some((l) => /unhandled rejection: Error: fake rejection/.test(l)));
});

test('supervision: the crash handlers log and exit(1)', () => {
  const handlers = new Map<string, (e: unknown) => void>();
  const exits: number[] = [], lines: string[] = [];
  installCrashHandlers({ on: ((ev: string, h: (e: unknown) => void) => { handlers.set(ev, h); }) as never, exit: ((c: number) => { exits.push(c); }) as never }, (l) => lines.push(l));
  handlers.get('uncaughtException')!(new Error('boom'));
  handlers.get('unhandledRejection')!('plain');
  assert.deepEqual(exits, [1, 1]);
  assert.match(lines[0], /uncaught exception: Error: boom/);
  assert.match(lines[1], /unhandled rejection: plain/);
});

test('supervision: user restarts show no crash notice and do not count toward the restart limit', async () => {
  const { client, crashes } = fake({ maxRestarts: 0 });
  let pid = await client.request(Fake.pid, {});
  for (let i = 0; i < 3; i++) {
    client.restart('test');
    const next = await client.request(Fake.pid, {});
    assert.notEqual(next, pid);
    pid = next;
  }
  await sleep(300);
  assert.equal(crashes.length, 0, 'no crash notice');
  const inFlight = client.request(Fake.hang, {});
  client.restart('test');
  await assert.rejects(inFlight, (e: RpcError) => e.code === 'EngineCrashed' && /restarted \(test\)/.test(e.message));
  // A real crash still counts: with maxRestarts 0, the one after it is refused.
  await client.request(Fake.pid, {});
  client.kill();
  await waitFor(() => crashes.length === 1);
  await assert.rejects(client.request(Fake.pid, {}), /not restarting/);
});

test('supervision: the engine gets a V8 heap limit', async () => {
  const { client } = fake({ maxOldSpaceMb: 1234 });
  await client.request(Fake.pid, {});
  const args = (client as unknown as { child: { spawnargs: string[] } }).child.spawnargs;
  assert.ok(args.includes('--max-old-space-size=1234'), args.join(' '));
});

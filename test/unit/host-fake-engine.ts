/**
 * A stand-in engine process for the supervision tests (host-engine-supervision.test.ts): speaks rpc.ts over the
 * IPC channel like src/engine-process/main.ts, with requests that hang, report progress slowly, block the event
 * loop or throw outside any request.
 */
import { RpcConnection, request, type Message } from '../../src/protocol/rpc';

// The client sets FEATUREVIS_ENGINE_MAIN=1, which would make main.ts start the real engine when loaded: clear it first.
const isFake = process.env.FEATUREVIS_ENGINE_MAIN === '1' && !!process.send;
delete process.env.FEATUREVIS_ENGINE_MAIN;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { installCrashHandlers } = require('../../src/engine-process/main') as typeof import('../../src/engine-process/main');

export const Fake = {
  pid: request<Record<string, never>, number>('fake/pid'),
  hang: request<Record<string, never>, void>('fake/hang'),
  ticks: request<{ n: number; ms: number }, number, number>('fake/ticks'),
  block: request<{ ms: number }, void>('fake/block'),
  throwLater: request<{ rejection?: boolean }, void>('fake/throwLater'),
};

if (isFake) {
  installCrashHandlers(process, (l) => process.stderr.write(`[fake] ${l}\n`));
  const conn = new RpcConnection({
    send: (m: Message) => { process.send?.(m); },
    onMessage: (l) => { process.on('message', l as (m: unknown) => void); return () => process.off('message', l as (m: unknown) => void); },
  }, 'e');
  conn.onRequest(Fake.pid, () => process.pid);
  conn.onRequest(Fake.hang, () => new Promise<void>(() => undefined));
  conn.onRequest(Fake.ticks, async ({ n, ms }, ctx) => {
    for (let i = 0; i < n; i++) { await new Promise((r) => setTimeout(r, ms)); ctx.progress(i); }
    return n;
  });
  conn.onRequest(Fake.block, ({ ms }) => { const end = Date.now() + ms; while (Date.now() < end) { /* a stuck synchronous loop */ } });
  conn.onRequest(Fake.throwLater, ({ rejection }) => {
    setTimeout(() => { if (rejection) void Promise.reject(new Error('fake rejection')); else throw new Error('fake uncaught'); }, 10);
  });
  process.on('disconnect', () => process.exit(0));
}

/**
 * A fuzzing worker: runs cases [start, end) of one kind and reports each to the runner over IPC before and after
 * it runs, so a hang or a native abort is pinned to its case.
 */
import { runCase, type Kind } from './cases';

const [kind, start, end, base] = process.argv.slice(2);
const send = (m: unknown) => new Promise<void>((resolve) => process.send!(m, () => resolve()));

(async () => {
  for (let i = Number(start); i < Number(end); i++) {
    const seed = Number(base) + i;
    await send({ at: i });
    const t0 = performance.now();
    try {
      const outcome = await runCase(kind as Kind, seed);
      await send({ done: i, outcome, ms: performance.now() - t0, rss: process.memoryUsage.rss() });
    } catch (e) {
      await send({ done: i, failure: `${(e as Error)?.constructor?.name ?? 'thrown'}: ${String((e as Error)?.message ?? e).split('\n')[0].slice(0, 300)}`, ms: performance.now() - t0, rss: process.memoryUsage.rss() });
    }
  }
  process.exit(0);
})();

/**
 * A forward-style session (occlusion's target-output graph, the incremental occlusion graphs) held in the memory
 * budget shared with the compiled explanation sessions, so a VGG-sized occlusion graph counts like any other and is
 * evicted like any other. Eviction never pulls a session from under a run: a run in flight finishes first and the
 * session is released after it; the next run creates it again (which happens only under memory pressure).
 */
import * as ort from 'onnxruntime-node';
import type { Budgeted, SessionBudget } from './session-budget';

interface Live { session: ort.InferenceSession; active: number; evicted: boolean }
interface Held extends Budgeted { live: Live }

/** The part of a session the forward loops use (a plain InferenceSession also fits). */
export interface SessionRunner {
  run(feeds: ort.InferenceSession.FeedsType, fetches: readonly string[]): Promise<ort.InferenceSession.ReturnType>;
}

export class BudgetedSession implements SessionRunner {
  constructor(private readonly budget: SessionBudget, private readonly key: string, private readonly owner: string,
    private readonly create: () => Promise<ort.InferenceSession>) {}

  /** Creates the session now (errors surface here rather than at the first run). */
  async ready(): Promise<this> {
    await this.acquire();
    return this;
  }

  async run(feeds: ort.InferenceSession.FeedsType, fetches: readonly string[]): Promise<ort.InferenceSession.ReturnType> {
    let live = await this.acquire();
    // Evicted between creation and this continuation: take a fresh one.
    while (live.evicted) live = await this.acquire();
    live.active++;
    try {
      return await live.session.run(feeds, fetches);
    } finally {
      live.active--;
      if (live.evicted && live.active === 0) void live.session.release().catch(() => undefined);
    }
  }

  private async acquire(): Promise<Live> {
    const held = this.budget.get<Held>(this.key);
    if (held) return (await held).live;
    const p = (async (): Promise<Held> => {
      const rss0 = process.memoryUsage.rss();
      const session = await this.create();
      const live: Live = { session, active: 0, evicted: false };
      const release = async () => {
        live.evicted = true;
        if (live.active === 0) await session.release();
      };
      return { live, bytes: Math.max(0, process.memoryUsage.rss() - rss0), session: { release } };
    })();
    this.budget.set(this.key, this.owner, p);
    return (await p).live;
  }
}

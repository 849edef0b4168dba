/**
 * The Visualize panel's Trust section on the host side: one evaluation per slot (the main map, each grid cell) at a
 * time — a new request for a slot stops its running one in the engine, the panel's cancel stops them all; each
 * metric's result is posted as soon as the engine streams it.
 */
import { CancellationSource } from '../protocol/rpc';
import { Requests, slotKey, toTargetSpec, type HostMessage, type WebviewMessage } from '../protocol/messages';
import type { TensorData } from '../protocol/types';
import type { EngineClient } from './engineClient';
import { errorCode, errorMessage } from './errors';

type TrustRequest = Extract<WebviewMessage, { type: 'trust' }>;

export class TrustRunner {
  private readonly running = new Map<string, CancellationSource>();

  constructor(private readonly engine: EngineClient, private readonly post: (m: HostMessage) => void) {}

  /** `params` are already the host's (path parameters replaced, see runParams). */
  async run(m: TrustRequest, model: string | undefined, input: TensorData, params: TrustRequest['params']): Promise<void> {
    const key = slotKey(m.slot);
    this.running.get(key)?.cancel();
    const source = new CancellationSource();
    this.running.set(key, source);
    const t0 = Date.now();
    try {
      await this.engine.request(Requests.evaluate, {
        model, input, method: m.method, params, target: toTargetSpec(m.target), region: m.region,
        metrics: m.metrics.map((id) => ({ id })), seed: 0,
      }, {
        token: source.token,
        onProgress: (p) => { if (p.result && !source.token.isCancellationRequested) this.post({ type: 'trustResult', seq: m.seq, result: p.result }); },
      });
      if (!source.token.isCancellationRequested) this.post({ type: 'trustDone', seq: m.seq, ms: Date.now() - t0 });
    } catch (e) {
      if (errorCode(e) !== 'Cancelled') this.post({ type: 'trustError', seq: m.seq, code: errorCode(e), message: errorMessage(e) });
    } finally {
      if (this.running.get(key) === source) this.running.delete(key);
    }
  }

  cancel(): void {
    for (const s of this.running.values()) s.cancel();
    this.running.clear();
  }
}

/**
 * One memory budget for every compiled session of every open model: an LRU bounded by count and by bytes, where a
 * session's bytes are what creating it grew the process by (RSS), never less than its serialized graph. A panel
 * comparing methods and models keeps its sessions warm without holding every VGG-sized graph ever built, and a
 * model grid of eight models shares the same budget as one model.
 */
import type * as ort from 'onnxruntime-node';
import { FeatureVisError } from './errors';

/** What the budget holds: something with a session to release and what it costs. */
export interface Budgeted { session: Pick<ort.InferenceSession, 'release'>; bytes: number }

interface Entry<T> { value: Promise<T>; bytes: number; owner: string }

export const DEFAULT_BUDGET_MB = 3072;

/** The budget in bytes: the setting (MB), else FEATUREVIS_MEMORY_MB, else 3 GiB. */
export function budgetBytes(settingMB: number | undefined, env: NodeJS.ProcessEnv = process.env): number {
  const mb = settingMB ?? (env.FEATUREVIS_MEMORY_MB ? Number(env.FEATUREVIS_MEMORY_MB) : DEFAULT_BUDGET_MB);
  return (Number.isFinite(mb) && mb > 0 ? mb : DEFAULT_BUDGET_MB) * 1024 ** 2;
}

export class SessionBudget<T extends Budgeted = Budgeted> {
  private readonly map = new Map<string, Entry<T>>();

  constructor(readonly maxEntries: number, readonly maxBytes: number) {}

  /** The entry under `key` (now the most recently used); U: the kind its key names (callers own their key space). */
  get<U extends T = T>(key: string): Promise<U> | undefined {
    const e = this.map.get(key);
    if (e) {
      this.map.delete(key);
      this.map.set(key, e);
    }
    return e?.value as Promise<U> | undefined;
  }

  set(key: string, owner: string, value: Promise<T>): void {
    const entry: Entry<T> = { value, bytes: 0, owner };
    this.map.set(key, entry);
    value.then((s) => {
      entry.bytes = s.bytes;
      this.evict();
    }, () => this.map.get(key) === entry && this.map.delete(key));
    this.evict();
  }

  /** Bytes held now (sessions still being created count 0). */
  get heldBytes(): number {
    return [...this.map.values()].reduce((a, e) => a + e.bytes, 0);
  }

  keys(): string[] {
    return [...this.map.keys()];
  }

  /** Fails clearly when one session alone exceeds the budget (it could never be kept). */
  checkFits(bytes: number, what: string): void {
    if (bytes > this.maxBytes) {
      throw new FeatureVisError('ModelLoadFailed', `${what} needs about ${mb(bytes)} MB, more than the whole memory budget of ${mb(this.maxBytes)} MB; raise the featurevis.memoryBudgetMB setting (CLI: FEATUREVIS_MEMORY_MB)`);
    }
  }

  private evict(): void {
    let total = this.heldBytes;
    for (const [k, e] of this.map) {
      if (this.map.size <= 1 || (this.map.size <= this.maxEntries && total <= this.maxBytes)) break;
      this.map.delete(k);
      total -= e.bytes;
      void e.value.then((s) => s.session.release()).catch(() => undefined);
    }
  }

  /** Releases the sessions of one owner (a model being closed), or all. */
  clear(owner?: string): void {
    for (const [k, e] of this.map) {
      if (owner !== undefined && e.owner !== owner) continue;
      this.map.delete(k);
      void e.value.then((s) => s.session.release()).catch(() => undefined);
    }
  }
}

const mb = (bytes: number) => Math.round(bytes / 1024 ** 2);

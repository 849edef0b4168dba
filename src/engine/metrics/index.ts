/**
 * The metric registry: every file of this folder that exports `metric` is found by its name (see ../discover.ts),
 * so adding a metric is adding its file; helper files export no `metric` and are skipped. A duplicate id throws.
 */
import type { MetricInfo } from '../../protocol/types';
import { exportsNamed, modulesIn } from '../discover';
import type { Metric } from './types';

export class MetricRegistry {
  private readonly metrics = new Map<string, Metric>();
  constructor(metrics: Metric[]) {
    for (const m of metrics) {
      if (this.metrics.has(m.id)) throw new Error(`metric '${m.id}' is already registered`);
      this.metrics.set(m.id, m);
    }
  }
  get(id: string): Metric | undefined {
    return this.metrics.get(id);
  }
  all(): Metric[] {
    return [...this.metrics.values()];
  }
  infos(): MetricInfo[] {
    return this.all().map(({ id, title, summary, params, better }) => ({ id, title, summary, params: [...params], better }));
  }
}

const modules = modulesIn(__dirname, /^(?!index\.|types\.)[a-z][\w-]*\.ts$/);
const found = exportsNamed<Metric>(modules, 'metric').sort((a, b) => a.id.localeCompare(b.id));

export const metrics = new MetricRegistry(found);

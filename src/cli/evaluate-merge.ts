/**
 * `featurevis evaluate --merge`: the lines of several results files (shards, resumed runs) as one set — identical
 * keys de-duplicated, a key written twice with different results an error — and the summary per model × method ×
 * metric (n, mean, std, 95 % CI, min, max) as CSV and as a markdown table.
 */
import { invalidInput, invalidParams } from '../engine/errors';
import { expandGlob } from './evaluate-glob';
import { identity, keyOf, readResults, type EvalLine } from './evaluate-lines';
import { summarise, type Summary } from './evaluate-stats';

export interface MergedLines {
  /** Sorted by (model, image, method, metric): the same set gives the same order whatever the files. */
  lines: EvalLine[];
  files: string[];
  duplicates: number;
  /** Unfinished last lines that were left out, per file. */
  dropped: string[];
  /** Methods and metrics in the order the files first name them (a run writes them in its command line's order). */
  order: { methods: string[]; metrics: string[] };
}

/** Patterns separated by commas, each a file or a glob (`*`, `?` in the file name). */
export function mergeFiles(patterns: string[]): MergedLines {
  const files = [...new Set(patterns.flatMap((p) => {
    const found = expandGlob(p);
    if (!found.length) throw invalidParams(`--merge '${p}' matches no file`);
    return found;
  }))];
  const byKey = new Map<string, { line: EvalLine; id: string; where: string }>();
  let duplicates = 0;
  const dropped: string[] = [];
  const methods = new Set<string>();
  const metrics = new Set<string>();
  // One summary row must come from one setting: the same target and parameters for every image.
  const settings = new Map<string, { setting: string; where: string }>();
  for (const file of files) {
    const r = readResults(file);
    if (r.dropped !== undefined) dropped.push(file);
    r.lines.forEach((line, i) => {
      methods.add(line.method);
      metrics.add(line.metric);
      const group = JSON.stringify([line.model.sha256, line.method, line.metric]);
      const setting = JSON.stringify([line.target ?? null, line.params ?? {}]);
      const first = settings.get(group);
      if (!first) settings.set(group, { setting, where: `${file} (result ${i + 1})` });
      else if (first.setting !== setting) {
        throw invalidInput(`${line.method} × ${line.metric} was run with different targets or parameters: ${first.where} ${first.setting} and ${file} (result ${i + 1}) ${setting}; merge one setting at a time`);
      }
      const key = JSON.stringify([line.model.sha256, keyOf(line)]);
      const id = identity(line);
      const seen = byKey.get(key);
      if (!seen) return void byKey.set(key, { line, id, where: `${file} (result ${i + 1})` });
      if (seen.id !== id) {
        throw invalidInput(`${line.image} × ${line.method} × ${line.metric} has two different results: ${seen.where} and ${file} (result ${i + 1}) — were they run with other parameters, seeds or versions?`);
      }
      duplicates++;
    });
  }
  const sortKey = (l: EvalLine) => [l.model.name, l.model.sha256, l.image, l.method, l.metric];
  const lines = [...byKey.values()].map((v) => v.line).sort((a, b) => {
    const ka = sortKey(a);
    const kb = sortKey(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    return 0;
  });
  return { lines, files, duplicates, dropped, order: { methods: [...methods], metrics: [...metrics] } };
}

export interface SummaryRow extends Summary {
  model: string;
  method: string;
  metric: string;
  better: string;
  /** Results without a finite value (left out of the statistics). */
  missing: number;
}

/** One row per model × method × metric: by model, then metric, then method, each in `order` (else first seen). */
export function summaryRows(lines: readonly EvalLine[], better: (metric: string) => string = () => '', order?: MergedLines['order']): SummaryRow[] {
  const groups = new Map<string, { model: string; method: string; metric: string; values: number[]; missing: number }>();
  for (const l of lines) {
    if (l.notApplicable !== undefined) continue;
    const key = JSON.stringify([l.model.sha256, l.method, l.metric]);
    let g = groups.get(key);
    if (!g) groups.set(key, g = { model: l.model.name, method: l.method, metric: l.metric, values: [], missing: 0 });
    if (l.value === null) g.missing++;
    else g.values.push(l.value);
  }
  const rows = [...groups.values()].map((g) => ({ model: g.model, method: g.method, metric: g.metric, better: better(g.metric), missing: g.missing, ...summarise(g.values) }));
  // The table reads like the command line: its metrics and methods in their order.
  const metricOrder = [...new Set([...(order?.metrics ?? []), ...rows.map((r) => r.metric)])];
  const methodOrder = [...new Set([...(order?.methods ?? []), ...rows.map((r) => r.method)])];
  return rows.sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0) || metricOrder.indexOf(a.metric) - metricOrder.indexOf(b.metric) || methodOrder.indexOf(a.method) - methodOrder.indexOf(b.method));
}

const cell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
const num = (v: number) => (Number.isFinite(v) ? String(v) : '');

export const CSV_HEADER = ['model', 'method', 'metric', 'better', 'n', 'missing', 'mean', 'std', 'ci95_low', 'ci95_high', 'min', 'max'];

export function summaryCsv(rows: readonly SummaryRow[]): string {
  const body = rows.map((r) => [cell(r.model), cell(r.method), cell(r.metric), r.better, String(r.n), String(r.missing),
    num(r.mean), num(r.std), num(r.ciLow), num(r.ciHigh), num(r.min), num(r.max)].join(','));
  return [CSV_HEADER.join(','), ...body].join('\n') + '\n';
}

const fmt = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 1000 || (Math.abs(v) < 0.001 && v !== 0) ? v.toExponential(2) : v.toFixed(3)) : '–');

/** Methods down, metrics across: "mean ± CI half-width (n)" per cell, the better direction in the header. */
export function summaryMarkdown(rows: readonly SummaryRow[]): string {
  const metrics = [...new Set(rows.map((r) => r.metric))];
  const arrow = (m: string) => {
    const b = rows.find((r) => r.metric === m)?.better;
    return b === 'higher' ? ' ↑' : b === 'lower' ? ' ↓' : '';
  };
  const models = [...new Set(rows.map((r) => r.model))];
  const lead = models.length > 1 ? ['model', 'method'] : ['method'];
  const out = [`| ${[...lead, ...metrics.map((m) => m + arrow(m))].join(' | ')} |`, `|${[...lead, ...metrics].map(() => '---').join('|')}|`];
  for (const model of models) {
    for (const method of [...new Set(rows.filter((r) => r.model === model).map((r) => r.method))]) {
      const cells = metrics.map((m) => {
        const r = rows.find((x) => x.model === model && x.method === method && x.metric === m);
        if (!r) return '';
        const half = (r.ciHigh - r.ciLow) / 2;
        return `${fmt(r.mean)}${Number.isFinite(half) ? ` ± ${fmt(half)}` : ''}`;
      });
      out.push(`| ${[...(models.length > 1 ? [model] : []), method, ...cells].join(' | ')} |`);
    }
  }
  return out.join('\n') + '\n';
}

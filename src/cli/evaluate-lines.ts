/**
 * The JSON lines of `featurevis evaluate`: one per image × method × metric, its key, its seed, and reading a results
 * file back (for --resume and --merge). Every field but `ms` is a function of the inputs, the model and the seed,
 * so a sharded, resumed or repeated run writes the same lines apart from their times.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { invalidInput } from '../engine/errors';
import type { MetricCurve, MetricResult, ParamValues } from '../protocol/types';

/** Which model wrote a line: its file name, size and SHA-256 (two copies of one model agree). */
export interface ModelId { name: string; bytes: number; sha256: string }

export interface EvalLine {
  /** The image's path relative to --images, with '/' separators. */
  image: string;
  method: string;
  metric: string;
  item: number;
  /** null where the metric gave no finite number (JSON has no NaN). */
  value: number | null;
  values?: Record<string, number | null>;
  curve?: MetricCurve;
  /** The randomisation steps without their maps (those are for the panel). */
  steps?: { layer: string; spearman: number | null; ssim: number | null }[];
  /** Why the metric does not apply to the method (value null); such lines stay out of the summary. */
  notApplicable?: string;
  ms: number;
  seed: number;
  model: ModelId;
  /** The --target text when one was given (default: each image's top class). */
  target?: string;
  /** The parameters given on the command line (the rest are the method's and metric's defaults). */
  params?: { method?: ParamValues; metric?: ParamValues };
}

export const keyOf = (l: Pick<EvalLine, 'image' | 'method' | 'metric'>) => JSON.stringify([l.image, l.method, l.metric]);

/** A line's identity: everything but its time. Two lines of one key must agree on it. */
export function identity(l: EvalLine): string {
  const { ms: _ms, ...rest } = l;
  return JSON.stringify(rest);
}

/** The seed of one result, from the run's seed and the result's key (31 bits: any RNG takes it). */
export function lineSeed(seed: number, image: string, method: string, metric: string): number {
  const h = crypto.createHash('sha256').update(JSON.stringify([seed, image, method, metric])).digest();
  return h.readUInt32BE(0) >>> 1;
}

const finite = (v: number) => (Number.isFinite(v) ? v : null);

/** One engine result as a line. */
export function toLine(r: MetricResult, at: { image: string; seed: number; model: ModelId; target?: string; params?: EvalLine['params'] }): EvalLine {
  // Spreads in a fixed order: the same result always serialises to the same text.
  return {
    image: at.image, method: r.method, metric: r.metric, item: r.item, value: finite(r.value),
    ...(r.values ? { values: Object.fromEntries(Object.entries(r.values).map(([k, v]) => [k, finite(v)])) } : {}),
    ...(r.curve ? { curve: { x: r.curve.x, y: r.curve.y, xLabel: r.curve.xLabel, yLabel: r.curve.yLabel } } : {}),
    ...(r.steps ? { steps: r.steps.map((s) => ({ layer: s.layer, spearman: finite(s.spearman), ssim: finite(s.ssim) })) } : {}),
    ...(r.notApplicable !== undefined ? { notApplicable: r.notApplicable } : {}),
    ms: Math.round(r.ms * 100) / 100,
    seed: at.seed,
    model: at.model,
    ...(at.target !== undefined ? { target: at.target } : {}),
    ...(at.params && (Object.keys(at.params.method ?? {}).length || Object.keys(at.params.metric ?? {}).length) ? { params: at.params } : {}),
  };
}

function checkLine(v: unknown, where: string): EvalLine {
  const l = v as EvalLine;
  const ok = typeof v === 'object' && v !== null && typeof l.image === 'string' && typeof l.method === 'string' && typeof l.metric === 'string'
    && (l.value === null || typeof l.value === 'number') && typeof l.seed === 'number' && typeof l.model === 'object' && l.model !== null
    && typeof l.model.name === 'string' && typeof l.model.sha256 === 'string';
  if (!ok) throw invalidInput(`${where}: not a featurevis evaluate result (needs image, method, metric, value, seed, model)`);
  return l;
}

export interface ReadResults {
  lines: EvalLine[];
  /** Bytes up to the end of the last complete line. */
  goodBytes: number;
  /** The text of an unfinished last line (an interrupted write), dropped. */
  dropped?: string;
}

/**
 * A results file's lines. Only its last line may be unfinished (no newline, or cut JSON): a run killed mid-write
 * leaves that; it is reported in `dropped`. Any other bad line is an error naming the file and line.
 */
export function readResults(file: string): ReadResults {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw invalidInput(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const lines: EvalLine[] = [];
  let start = 0;
  let lineNo = 0;
  while (start < text.length) {
    lineNo++;
    const end = text.indexOf('\n', start);
    if (end < 0) return { lines, goodBytes: Buffer.byteLength(text.slice(0, start)), dropped: text.slice(start) };
    const raw = text.slice(start, end);
    const isLast = end === text.length - 1;
    if (raw.trim()) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        // A cut line followed by a newline (a partial write, then an append) is only forgiven at the very end.
        if (isLast) return { lines, goodBytes: Buffer.byteLength(text.slice(0, start)), dropped: raw };
        throw invalidInput(`${file}:${lineNo}: not valid JSON (only the last line may be unfinished)`);
      }
      lines.push(checkLine(parsed, `${file}:${lineNo}`));
    }
    start = end + 1;
  }
  return { lines, goodBytes: Buffer.byteLength(text) };
}

/**
 * `featurevis evaluate --images DIR …`: every image of a folder (sorted; this process's shard of them) × each method ×
 * each metric, one JSON line each, appended and flushed as it is known. --resume skips the keys already written;
 * Ctrl-C (or SIGTERM, a scheduler's preemption) stops after the current result so a later --resume continues.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Engine } from '../engine/engine';
import { FeatureVisError, invalidParams } from '../engine/errors';
import { loadImageFile } from '../engine/preprocess';
import type { LoadedModel } from '../engine/model';
import type { ParamValues } from '../protocol/types';
import { num, required, str, type Args } from './args';
import { targetFrom } from './method-flags';
import { keyOf, lineSeed, readResults, toLine, type EvalLine, type ModelId } from './evaluate-lines';
import { evaluateParams } from './evaluate-params';
import { ProgressBar, progressSink, type ProgressSink } from './progress';
import { resolveShard, shardItems } from './evaluate-shard';

const IMAGE = /\.(png|jpe?g)$/i;

/** The images under a folder (subfolders too, e.g. one per class), as '/'-separated relative paths in code-unit order. */
export function listImages(dir: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (e) {
    throw invalidParams(`--images ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!stat.isDirectory()) throw invalidParams(`--images must be a folder of PNG/JPEG images, got the file ${dir}`);
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile() && IMAGE.test(e.name)) out.push(r);
    }
  };
  walk('');
  // Code-unit order, not the locale's: every machine of a sharded run must deal the same list.
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function modelId(model: LoadedModel): ModelId {
  const bytes = fs.readFileSync(model.path);
  return { name: path.basename(model.path), bytes: bytes.length, sha256: crypto.createHash('sha256').update(bytes).digest('hex') };
}

const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

/** Stops the run between results on the first signal and cancels the running one on the second. */
class Interrupt {
  stopping = false;
  signal: NodeJS.Signals | undefined;
  readonly token = { isCancellationRequested: false };
  private readonly handler = (sig: NodeJS.Signals) => {
    if (this.stopping) {
      this.token.isCancellationRequested = true;
      return;
    }
    this.stopping = true;
    this.signal = sig;
    // On a terminal the bar's line is open: end it first.
    this.log(`${this.tty ? '\n' : ''}${sig}: stopping after the current result (again to abandon it); --resume continues\n`);
  };
  constructor(private readonly log: (s: string) => void, private readonly tty: boolean) {
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
  }
  /** The exit status of a run it stopped: 128 + the signal's number. */
  get exitCode(): number {
    return this.signal === 'SIGTERM' ? 143 : 130;
  }
  dispose(): void {
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
  }
}

export interface RunOptions {
  stderr?: ProgressSink;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/** Runs the evaluation; returns the exit status (0, or 130/143 when a signal stopped it). */
export async function runEvaluate(engine: Engine, args: Args, o: RunOptions = {}): Promise<number> {
  const stderr = o.stderr ?? { write: (s: string) => void process.stderr.write(s), isTTY: Boolean(process.stderr.isTTY) };
  const log = o.log ?? ((line: string) => console.log(line));
  const dir = required(args, 'images', 'a folder of PNG/JPEG images');
  const methodIds = list(required(args, 'methods', `methods separated by commas, from: ${engine.methods().filter((m) => m.output !== 'image').map((m) => m.id).join(', ')}`));
  const metricIds = list(required(args, 'metrics', `metrics separated by commas, from: ${engine.metrics().map((m) => m.id).join(', ')}`));
  const out = required(args, 'out', 'results.jsonl (one JSON line per image × method × metric)');
  const params = evaluateParams(engine, methodIds, metricIds, args);
  const seed = num(args, 'seed') ?? 0;
  if (!Number.isSafeInteger(seed)) throw invalidParams(`--seed must be a whole number, got ${seed}`);
  const limit = num(args, 'limit');
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 1)) throw invalidParams(`--limit must be a whole number ≥ 1, got ${limit}`);
  const shard = resolveShard(str(args, 'shard'), str(args, 'shards'), o.env ?? process.env);
  const resume = args.flags.has('resume') && args.flags.get('resume') !== 'false';
  if (!fs.existsSync(path.dirname(path.resolve(out)))) throw invalidParams(`the output folder ${path.dirname(path.resolve(out))} does not exist`);
  if (fs.existsSync(out) && !resume) throw invalidParams(`${out} exists: pass --resume to continue it, or another --out`);

  // --limit takes the first N of the sorted list before sharding, so the shards of a limited run split that set.
  const all = listImages(dir).slice(0, limit);
  if (all.length === 0) throw invalidParams(`--images ${dir} holds no PNG or JPEG image`);
  const images = shardItems(all, shard);
  const model = engine.open(str(args, 'model'));
  const id = modelId(model);
  const target = str(args, 'target');
  const targetSpec = targetFrom(args, model);
  const lineParams = (method: string, metric: string): EvalLine['params'] => ({ method: params.method.get(method), metric: params.metric.get(metric) });

  const done = new Set<string>();
  if (resume && fs.existsSync(out)) {
    const r = readResults(out);
    if (r.dropped !== undefined) {
      // An interrupted write: cut the file back to its last whole line, which is then written again.
      fs.truncateSync(out, r.goodBytes);
      stderr.write(`${out}: dropped an unfinished last line (it is computed again)\n`);
    }
    for (const l of r.lines) checkResumable(l, out, id, seed, target, methodIds.includes(l.method) && metricIds.includes(l.metric) ? lineParams(l.method, l.metric) : undefined);
    for (const l of r.lines) done.add(keyOf(l));
  }
  const tasks = images.flatMap((image) => methodIds.flatMap((method) => metricIds.map((metric) => ({ image, method, metric }))));
  const pending = tasks.filter((t) => !done.has(keyOf(t)));
  const where = shard.count > 1 ? `, shard ${shard.index}/${shard.count} (${shard.source}): ${images.length} of ${all.length} images` : `, ${images.length} images`;
  log(`${id.name}${where}; ${pending.length} results to compute${tasks.length > pending.length ? ` (${tasks.length - pending.length} already in ${out})` : ''} → ${out}`);

  const fd = fs.openSync(out, 'a', 0o644);
  const stop = new Interrupt((s) => stderr.write(s), stderr.isTTY);
  // --quiet silences the bar only: warnings and the Ctrl-C notice still reach stderr.
  const bar = new ProgressBar(pending.length, args.flags.has('quiet') ? progressSink(true) : stderr);
  let count = 0;
  try {
    let image = '';
    let input: ReturnType<typeof loadImageFile> | undefined;
    // One evaluation per image × method: its explanation is computed once and scored by every pending metric.
    for (const group of groupBy(pending, (t) => `${t.image}\n${t.method}`)) {
      if (stop.stopping) break;
      const { image: file, method } = group[0];
      if (file !== image) {
        image = file;
        input = loadImageFile(path.join(dir, ...file.split('/')), model.preprocessing());
      }
      const start = count;
      const seeds = group.map((t) => lineSeed(seed, t.image, t.method, t.metric));
      await engine.evaluate({
        model, input: input!, method, params: params.method.get(method), target: targetSpec,
        metrics: group.map((t, j) => ({ id: t.metric, params: params.metric.get(t.metric), seed: seeds[j] })),
        onResult: (result) => {
          const j = count - start;
          const line = toLine(result, { image: file, seed: seeds[j], model: id, target, params: lineParams(method, group[j].metric) });
          // One write per line, flushed to disk: a crash loses at most the result being computed.
          fs.writeSync(fd, JSON.stringify(line) + '\n');
          fs.fsyncSync(fd);
          count++;
          bar.update(count, count === pending.length);
          // Stopping: the metrics left of this group are not started.
          if (stop.stopping) stop.token.isCancellationRequested = true;
        },
      }, stop.token, (p) => bar.update(start + Math.min(group.length - 0.001, (p.fraction ?? 0) * group.length)));
    }
  } catch (e) {
    if (!(e instanceof FeatureVisError && e.code === 'Cancelled' && stop.stopping)) throw e;
  } finally {
    bar.end();
    stop.dispose();
    fs.closeSync(fd);
  }
  if (stop.stopping) {
    log(`stopped: ${count} of ${pending.length} results written to ${out}; run again with --resume to continue`);
    return stop.exitCode;
  }
  log(`${count} results → ${out}`);
  return 0;
}

/** A line already in --out must come from the same model, seed and target (and parameters) as this run. */
function checkResumable(l: EvalLine, out: string, id: ModelId, seed: number, target: string | undefined, params: EvalLine['params'] | undefined): void {
  const again = `: pass another --out, or the same options as the run that wrote it`;
  if (l.model.sha256 !== id.sha256) throw invalidParams(`${out} holds results of another model (${l.model.name}, sha256 ${l.model.sha256.slice(0, 12)}…)${again}`);
  if (l.seed !== lineSeed(seed, l.image, l.method, l.metric)) throw invalidParams(`${out} was written with another --seed${again}`);
  if (l.target !== target) throw invalidParams(`${out} was written with ${l.target === undefined ? 'no --target' : `--target ${l.target}`}${again}`);
  if (params && JSON.stringify(l.params ?? {}) !== JSON.stringify(compact(params))) {
    throw invalidParams(`${out}: ${l.method} × ${l.metric} was written with other parameters (${JSON.stringify(l.params ?? {})})${again}`);
  }
}

/** The params field as toLine writes it: omitted when nothing was given. */
function compact(p: NonNullable<EvalLine['params']>): Record<string, ParamValues | undefined> {
  return Object.keys(p.method ?? {}).length || Object.keys(p.metric ?? {}).length ? p : {};
}

/** Consecutive runs of items with the same key (the tasks are sorted by image, then method). */
function groupBy<T>(items: readonly T[], key: (t: T) => string): T[][] {
  const out: T[][] = [];
  for (const t of items) {
    const last = out[out.length - 1];
    if (last && key(last[0]) === key(t)) last.push(t);
    else out.push([t]);
  }
  return out;
}

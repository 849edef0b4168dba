/**
 * `featurevis evaluate`: faithfulness and sanity metrics over a folder of images (evaluate-run.ts), sharded across
 * processes or machines (evaluate-shard.ts), and `--merge` of the shards' results into a summary table and plot.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Engine } from '../engine/engine';
import { invalidParams } from '../engine/errors';
import { required, str, unknownFlag, type Args } from './args';
import { writeAtomic } from './io';
import { toPng, toSvg } from './figure-draw';
import { mergeFiles, summaryCsv, summaryMarkdown, summaryRows } from './evaluate-merge';
import { summaryPlot } from './evaluate-plot';
import { runEvaluate } from './evaluate-run';

const MERGE_FLAGS = new Set(['merge', 'out', 'plot', 'merged', 'threads', 'quiet']);

function checkOut(file: string, ext: RegExp, what: string, flag: string): void {
  if (!ext.test(file)) throw invalidParams(`--${flag} must end in ${what}, got '${file}'`);
  if (!fs.existsSync(path.dirname(path.resolve(file)))) throw invalidParams(`the output folder ${path.dirname(path.resolve(file))} does not exist`);
}

async function merge(engine: Engine, args: Args): Promise<void> {
  for (const k of args.flags.keys()) if (!MERGE_FLAGS.has(k)) throw unknownFlag(k, 'evaluate --merge', MERGE_FLAGS, ` (it takes: ${[...MERGE_FLAGS].map((f) => '--' + f).join(', ')})`);
  const patterns = [required(args, 'merge', "the results files, e.g. 'results-*.jsonl'"), ...args.positionals].flatMap((p) => p.split(',')).map((p) => p.trim()).filter(Boolean);
  const out = required(args, 'out', 'summary.csv');
  checkOut(out, /\.csv$/i, '.csv', 'out');
  const plot = str(args, 'plot');
  if (plot) checkOut(plot, /\.(png|svg)$/i, '.png or .svg', 'plot');
  const mergedOut = str(args, 'merged');
  if (mergedOut) checkOut(mergedOut, /\.jsonl$/i, '.jsonl', 'merged');
  const m = mergeFiles(patterns);
  if (m.lines.length === 0) throw invalidParams(`no results in ${m.files.join(', ')}`);
  for (const f of m.dropped) process.stderr.write(`featurevis: ${f} ends in an unfinished line (left out): run that shard again with --resume to complete it\n`);
  const infos = new Map(engine.metrics().map((i) => [i.id, i]));
  const rows = summaryRows(m.lines, (id) => infos.get(id)?.better ?? '', m.order);
  writeAtomic(out, Buffer.from(summaryCsv(rows), 'utf8'));
  if (mergedOut) writeAtomic(mergedOut, Buffer.from(m.lines.map((l) => JSON.stringify(l) + '\n').join(''), 'utf8'));
  const images = new Set(m.lines.map((l) => l.image)).size;
  const models = [...new Set(m.lines.map((l) => l.model.name))];
  if (plot) {
    const fig = summaryPlot(rows, (id) => ({ title: infos.get(id)?.title ?? id, better: infos.get(id)?.better ?? 'none' }), `${models.join(', ')}: mean (bar) and 95 % CI (whisker) over ${images} image${images > 1 ? 's' : ''}`);
    writeAtomic(plot, plot.toLowerCase().endsWith('.svg') ? Buffer.from(toSvg(fig), 'utf8') : toPng(fig));
  }
  console.log(`${m.lines.length} results (${images} images) from ${m.files.length} file${m.files.length > 1 ? 's' : ''}${m.duplicates ? `, ${m.duplicates} duplicates dropped` : ''} → ${[out, plot, mergedOut].filter(Boolean).join(', ')}\n`);
  process.stdout.write(summaryMarkdown(rows));
}

export async function evaluateCommand(engine: Engine, args: Args): Promise<void> {
  if (args.flags.has('merge')) return merge(engine, args);
  if (args.positionals.length) throw invalidParams(`unexpected argument '${args.positionals[0]}' (evaluate takes flags only; --merge takes the files)`);
  for (const k of ['plot', 'merged']) if (args.flags.has(k)) throw invalidParams(`--${k} belongs to evaluate --merge`);
  const code = await runEvaluate(engine, args);
  if (code !== 0) process.exitCode = code;
}

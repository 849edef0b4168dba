/**
 * `npm run bench`: every benchmark in one run; prints markdown tables (pasted into the README) and writes
 * .bench/results.json. Each comparison is made in the same process run against a baseline or a peer.
 * Environment: BENCH_THREADS (default 2), BENCH_REPEATS (default 5), BENCH_ONLY (comma list: explain,occlusion,reconstruct,lucent,latency,transformers,trust,coldstart,profile).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { benchExplain } from './explain';
import { printTable, ROOT, type Row } from './common';

async function main() {
  const threads = Number(process.env.BENCH_THREADS ?? 2);
  const repeats = Number(process.env.BENCH_REPEATS ?? 5);
  const only = process.env.BENCH_ONLY?.split(',');
  const want = (name: string) => !only || only.includes(name);
  // The in-process rows measure compiles: the persistent compile cache stays off for them (coldstart turns it on).
  process.env.FEATUREVIS_COMPILE_CACHE_MB ??= '0';
  const results: Record<string, Row[]> = {};
  console.log(`FeatureVis benchmarks — ${threads} threads, median of ${repeats}, onnxruntime-node CPU`);
  if (want('explain')) {
    const { rows, compile } = await benchExplain({ threads, repeats, batches: [1, 8], models: ['vgg16', 'resnet50'] });
    results.explain = rows;
    results.compile = compile;
    printTable('Methods vs forward and vs Captum (224², CPU)', rows);
    printTable('Compile time (graph rewrite + onnxruntime session), batch 1', compile);
  }
  for (const [name, file, fn] of [['occlusion', './occlusion', 'benchOcclusion'], ['reconstruct', './reconstruct', 'benchReconstruct'], ['lucent', './lucent', 'benchLucent'], ['latency', './latency', 'benchLatency'], ['transformers', './transformers', 'benchTransformers'], ['trust', './trust', 'benchTrust'], ['coldstart', './cold-start', 'benchColdStart'], ['profile', './profile', 'benchProfile']] as const) {
    if (!want(name) || !fs.existsSync(path.join(__dirname, `${file}.ts`))) continue;
    const mod = await import(file);
    results[name] = await mod[fn]();
    printTable(name, results[name]);
  }
  const rss = process.resourceUsage().maxRSS / 1024;
  console.log(`\nPeak RSS of the benchmark process: ${rss.toFixed(0)} MB`);
  fs.mkdirSync(path.join(ROOT, '.bench'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, '.bench', 'results.json'), JSON.stringify({ date: new Date().toISOString(), threads, repeats, peakRssMb: rss, results }, null, 2));
}

main().catch((e) => {
  console.error(`bench failed: ${(e as Error).message}`);
  process.exit(1);
});

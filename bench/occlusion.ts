/**
 * Occlusion benchmark (issue 4): VGG-16 and ResNet-50 (torchvision, random weights) at 224², box 16, stride 8
 * (27 × 27 = 729 windows).
 *  (a) occlusion throughput (windows/s, the window loop only) ÷ onnxruntime's best batched forward throughput
 *      (images/s over batch sizes BENCH_OCC_BATCHES) on the same model and thread count; goal ≥ 0.9.
 *  (b) one full occlusion explanation (clean forward + all windows) against Captum's Occlusion (PyTorch CPU, same
 *      window, stride, threads; perturbations_per_eval = PyTorch's best batched forward size); goal ours ≤ 0.7×.
 *  (a) and (b) run with `incremental off` (full recompute per window).
 *  (c) issue 13: incremental occlusion's window loop, exact and approx (τ = BENCH_OCC_TAU, 0.4), against the full
 *      recompute of (a) in the same run (speed-up = full ÷ incremental; goal exact ≥ 3× on VGG-16), with the exact
 *      map's largest difference to the full one (relative to its max; goal ≤ 1e-5) and approx's SSIM against exact.
 * Run: npx tsx bench/occlusion.ts, or through bench/run.ts (benchOcclusion()). Environment: BENCH_THREADS (2),
 * BENCH_OCC_MODELS (vgg16,resnet50), BENCH_OCC_STRIDE (8), BENCH_OCC_BATCHES (1,8,16), FEATUREVIS_PYTHON (a Python
 * with torch, torchvision and captum; default /opt/fv-zoo/bin/python). Models are exported once to .cache/bench/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { spawnSync } from 'node:child_process';
import * as ort from 'onnxruntime-node';
import { Engine } from '../src/engine/engine';
import { peerPython } from './common';
import { ssim } from '../src/engine/metrics/similarity';

export interface Row {
  name: string;
  ours_ms: number;
  peer_ms: number;
  ratio: number;
  note: string;
}

const ROOT = path.join(__dirname, '..');
const CACHE = path.join(ROOT, '.cache', 'bench');
const BOX = 16;

function python(): string {
  const exe = peerPython();
  if (!exe) throw new Error('no Python with torch, torchvision and captum found (set FEATUREVIS_PYTHON)');
  return exe;
}

function py(exe: string, args: string[]): string {
  const r = spawnSync(exe, [path.join(ROOT, 'tools', 'occlusion_ref.py'), ...args], { encoding: 'utf8', cwd: ROOT, maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`occlusion_ref.py ${args[0]} failed: ${r.stderr.slice(-800)}`);
  return r.stdout;
}

export async function ortBestForward(file: string, threads: number, batches: number[]): Promise<{ msPerImage: number; batch: number }> {
  const s = await ort.InferenceSession.create(file, { intraOpNumThreads: threads, graphOptimizationLevel: 'all' });
  let best = { msPerImage: Infinity, batch: 0 };
  try {
    for (const b of batches) {
      const x = new ort.Tensor('float32', Float32Array.from({ length: b * 3 * 224 * 224 }, (_, i) => Math.sin(i)), [b, 3, 224, 224]);
      await s.run({ input: x });
      const times: number[] = [];
      for (let i = 0; i < 2; i++) {
        const t0 = performance.now();
        await s.run({ input: x });
        times.push(performance.now() - t0);
      }
      const ms = Math.min(...times) / b;
      if (ms < best.msPerImage) best = { msPerImage: ms, batch: b };
    }
  } finally {
    await s.release();
  }
  return best;
}

export async function benchOcclusion(): Promise<Row[]> {
  const threads = Number(process.env.BENCH_THREADS ?? 2);
  const models = (process.env.BENCH_OCC_MODELS ?? 'vgg16,resnet50').split(',');
  const stride = Number(process.env.BENCH_OCC_STRIDE ?? 8);
  const batches = (process.env.BENCH_OCC_BATCHES ?? '1,8,16').split(',').map(Number);
  const exe = python();
  fs.mkdirSync(CACHE, { recursive: true });
  const rows: Row[] = [];
  const machine = `${os.cpus().length} cores (shared with other jobs), ${threads} threads`;
  for (const name of models) {
    const file = path.join(CACHE, `${name}.onnx`);
    if (!fs.existsSync(file)) py(exe, ['export', name, file]);
    const fwd = await ortBestForward(file, threads, batches);

    const engine = new Engine({ threads });
    try {
      const model = engine.open(file);
      const input = { data: Float32Array.from({ length: 3 * 224 * 224 }, (_, i) => Math.cos(i)), dims: [1, 3, 224, 224] };
      const target = { kind: 'class' as const, index: 0 };
      const params = { box: [BOX, BOX], stride: [stride, stride], fill: 'value:0,0,0', units: 'tensor', incremental: 'off' };
      // Warm-up: one window covering the whole input (builds the graph probe and the session).
      await engine.explain({ model, input, method: 'occlusion', params: { ...params, box: [224, 224] }, target });
      const t0 = performance.now();
      const r = await engine.explain({ model, input, method: 'occlusion', params, target });
      const oursMs = performance.now() - t0;
      const windows = (r.extras!.windows as { data: Float32Array }).data.length;
      const perWindow = r.timings.runMs / windows;
      rows.push({
        name: `${name} throughput (windows/s ÷ best forward images/s)`,
        ours_ms: perWindow, peer_ms: fwd.msPerImage, ratio: fwd.msPerImage / perWindow,
        note: `ms per window vs per image; ${windows} windows, occlusion batch ${(r.extras!.batch as number[])[0]}, best ORT batch ${fwd.batch}; goal ratio ≥ 0.9; ${machine}`,
      });
      const captum = JSON.parse(py(exe, ['captum', name, String(threads), String(BOX), String(stride), batches.join(',')]).trim().split('\n').pop()!);
      rows.push({
        name: `${name} occlusion vs Captum (box ${BOX}, stride ${stride})`,
        ours_ms: oursMs, peer_ms: captum.occlusion_ms, ratio: oursMs / captum.occlusion_ms,
        note: `Captum perturbations_per_eval ${captum.perturbations_per_eval} (torch ${captum.torch}); goal ratio ≤ 0.7; ${machine}`,
      });
      rows.push(...await benchIncremental(engine, model, input, target, params, r, name, machine));
    } finally {
      await engine.dispose();
    }
  }
  return rows;
}

type Explained = Awaited<ReturnType<Engine['explain']>>;

/** (c): exact and approx incremental occlusion against the full recompute `full` of the same run. */
async function benchIncremental(engine: Engine, model: ReturnType<Engine['open']>, input: { data: Float32Array; dims: number[] },
  target: { kind: 'class'; index: number }, params: Record<string, unknown>, full: Explained, name: string, machine: string): Promise<Row[]> {
  const tau = Number(process.env.BENCH_OCC_TAU ?? 0.4);
  const run = (p: Record<string, unknown>) => engine.explain({ model, input, method: 'occlusion', params: p as never, target });
  // The window loops are compared (runMs): session building is setup, the clean forward runs once per image.
  const exact = await run({ ...params, incremental: 'exact' });
  const approx = await run({ ...params, incremental: 'approx', 'approx-threshold': tau });
  const f = full.relevance.data;
  const e = exact.relevance.data;
  let max = 0, diff = 0, lo = Infinity, hi = -Infinity;
  for (let i = 0; i < f.length; i++) {
    max = Math.max(max, Math.abs(f[i]));
    diff = Math.max(diff, Math.abs(e[i] - f[i]));
    lo = Math.min(lo, e[i]);
    hi = Math.max(hi, e[i]);
  }
  const [h, w] = input.dims.slice(2);
  const s = ssim(Float64Array.from(approx.relevance.data), Float64Array.from(e), h, w, hi - lo);
  const regions = (r: Explained) => {
    const t = r.extras!.incrementalRegions as { data: Float32Array; dims: number[] } | undefined;
    return t ? Array.from({ length: t.dims[0] }, (_, i) => `${t.data[i * 4]}/${t.data[i * 4 + 2]}`).join(' ') : `none (${r.extras!.incrementalReason})`;
  };
  return [
    {
      name: `${name} incremental exact speed-up vs full recompute (box ${BOX}, stride ${params.stride as number[]})`,
      ours_ms: exact.timings.runMs, peer_ms: full.timings.runMs, ratio: full.timings.runMs / exact.timings.runMs,
      note: `window loops, same run; ratio = full ÷ incremental, goal ≥ 3×; map max |Δ| ÷ max = ${(diff / max).toExponential(1)} (goal ≤ 1e-5); regions (side/map): ${regions(exact)}; ${machine}`,
    },
    {
      name: `${name} incremental approx (τ = ${tau}) speed-up vs full recompute`,
      ours_ms: approx.timings.runMs, peer_ms: full.timings.runMs, ratio: full.timings.runMs / approx.timings.runMs,
      note: `SSIM of the approx map vs the exact one ${s.toFixed(3)}; regions: ${regions(approx)}; ${machine}`,
    },
  ];
}

if (require.main === module) {
  benchOcclusion().then((rows) => {
    console.log('| name | ours_ms | peer_ms | ratio | note |\n|---|---|---|---|---|');
    for (const r of rows) console.log(`| ${r.name} | ${r.ours_ms.toFixed(1)} | ${r.peer_ms.toFixed(1)} | ${r.ratio.toFixed(2)} | ${r.note} |`);
  }, (e) => {
    console.error(`bench failed: ${(e as Error).message}`);
    process.exit(1);
  });
}

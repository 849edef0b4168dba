/**
 * Cold start (issue 13, item 3): one `featurevis explain --method gradient --out X.npy` process (the bundled CLI,
 * process start → .npy written) with an empty compile cache and again with it warm, against a one-shot Python
 * script doing the same with Captum's Saliency (tools/oneshot_captum.py: import, load weights, preprocess,
 * explain, save). Each side runs twice; the Python time is its second run (the OS file cache warm, as for the CLI's).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { CACHE, ensureBenchModels, peerPython, ROOT, type Row } from './common';

/** Wall seconds of one process (throws with its stderr when it fails). */
function wall(cmd: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 1 << 24 });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${path.basename(args[0] ?? cmd)} failed: ${(r.stderr || r.stdout).slice(-800)}`);
  return s;
}

export async function benchColdStart(): Promise<Row[]> {
  const threads = Number(process.env.BENCH_THREADS ?? 2);
  const py = peerPython();
  if (!py) throw new Error('no Python with torch, torchvision and captum found; see README (Benchmarks) to set FEATUREVIS_PYTHON');
  const models = ['vgg16', 'resnet50'];
  const files = ensureBenchModels(py, models);
  wall(process.execPath, ['scripts/build-cli.mjs'], process.env);
  const image = path.join(ROOT, 'assets', 'samples', 'chelsea.png');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-coldstart-'));
  const rows: Row[] = [];
  try {
    for (const name of models) {
      const weights = path.join(CACHE, `${name}.pt`);
      if (!fs.existsSync(weights)) wall(py, ['tools/oneshot_captum.py', '--export', name, weights], process.env);
      // A compile cache of this run's own: the first run compiles into it, the second reads it.
      const env = { ...process.env, FEATUREVIS_CACHE_DIR: path.join(tmp, name), FEATUREVIS_COMPILE_CACHE_MB: '' };
      const cli = ['dist/cli.js', 'explain', '--model', files[name], '--input', image, '--method', 'gradient', '--threads', String(threads), '--out', path.join(tmp, `${name}-fv.npy`)];
      const first = wall(process.execPath, cli, env);
      const second = wall(process.execPath, cli, env);
      const captumArgs = ['tools/oneshot_captum.py', name, weights, image, path.join(tmp, `${name}-captum.npy`), String(threads)];
      wall(py, captumArgs, process.env);
      const captum = wall(py, captumArgs, process.env);
      rows.push({
        model: name, 'CLI first run (s)': first, 'CLI second run, cache warm (s)': second, 'Captum one-shot (s)': captum,
        'first ÷ Captum': first / captum, 'second ÷ Captum': second / captum,
      });
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return rows;
}

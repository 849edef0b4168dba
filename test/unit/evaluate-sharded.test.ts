/**
 * The test: `featurevis evaluate` as three shard processes — one by --shard, one as a Kubernetes Indexed
 * Job's pod (JOB_COMPLETION_INDEX), one as a Slurm array task (SLURM_ARRAY_TASK_ID from 1) — merged, equals the
 * unsharded run: the same lines (all but their times) and the same summary CSV, byte for byte.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { identity, readResults } from '../../src/cli/evaluate-lines';
import { decodeImage } from '../../src/engine/image/decode';
import { FIXTURES, writeTestPhoto } from './helpers';

const ROOT = path.join(__dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-evaluate-sharded-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const model = path.join(tmp, 'net.onnx');
fs.copyFileSync(path.join(FIXTURES, 'convnet', 'model.onnx'), model);
fs.writeFileSync(path.join(tmp, 'net.json'), JSON.stringify({ size: [24, 24], mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }));
const images = path.join(tmp, 'images');
fs.mkdirSync(images);
[[40, 30], [50, 50], [30, 60], [64, 48], [24, 24]].forEach(([w, h], i) => writeTestPhoto(path.join(images, `img-${i}.png`), w, h));

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // A clean scheduler environment: only the variables a test sets.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(JOB_COMPLETION_INDEX|SLURM_|FEATUREVIS_SHARDS)/.test(k)));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), ...args], { cwd: ROOT, env: { ...base, FEATUREVIS_THREADS: '1', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const RUN = ['evaluate', '--model', model, '--images', images, '--methods', 'gradient,occlusion', '--metrics', 'deletion,insertion', '--steps', '8', '--seed', '5'];
const at = (name: string) => path.join(tmp, name);
const withoutTime = (file: string) => readResults(file).lines.map(identity);

test('three shard processes (--shard, JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID) merge to the unsharded run exactly', async () => {
  const runs = await Promise.all([
    cli([...RUN, '--out', at('all.jsonl')]),
    cli([...RUN, '--shard', '0/3', '--out', at('results-0.jsonl')]),
    cli([...RUN, '--out', at('results-1.jsonl')], { JOB_COMPLETION_INDEX: '1', FEATUREVIS_SHARDS: '3' }),
    cli([...RUN, '--out', at('results-2.jsonl')], { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '3', SLURM_ARRAY_TASK_COUNT: '3' }),
  ]);
  for (const r of runs) assert.equal(r.code, 0, r.stderr);
  assert.match(runs[2].stdout, /shard 1\/3 \(JOB_COMPLETION_INDEX\): 2 of 5 images/);
  assert.match(runs[3].stdout, /shard 2\/3 \(SLURM_ARRAY_TASK_ID\): 1 of 5 images/);
  // Round-robin: shard i holds images i, i + 3, …
  const shardImages = [0, 1, 2].map((i) => [...new Set(readResults(path.join(tmp, `results-${i}.jsonl`)).lines.map((l) => l.image))]);
  assert.deepEqual(shardImages, [['img-0.png', 'img-3.png'], ['img-1.png', 'img-4.png'], ['img-2.png']]);

  const [sharded, whole] = await Promise.all([
    cli(['evaluate', '--merge', at('results-*.jsonl'), '--out', at('sharded.csv'), '--merged', at('sharded.jsonl'), '--plot', at('sharded.png')]),
    cli(['evaluate', '--merge', at('all.jsonl'), '--out', at('whole.csv'), '--merged', at('whole.jsonl')]),
  ]);
  assert.equal(sharded.code, 0, sharded.stderr);
  assert.equal(whole.code, 0, whole.stderr);
  assert.match(sharded.stdout, /20 results \(5 images\) from 3 files/);
  const all = withoutTime(path.join(tmp, 'all.jsonl'));
  assert.equal(all.length, 5 * 2 * 2);
  // The merged lines, in the merge's own order (model, image, method, metric), and as sets against the run's file.
  assert.deepEqual(withoutTime(path.join(tmp, 'sharded.jsonl')), withoutTime(path.join(tmp, 'whole.jsonl')));
  assert.deepEqual([...withoutTime(path.join(tmp, 'sharded.jsonl'))].sort(), [...all].sort());
  const csv = fs.readFileSync(path.join(tmp, 'sharded.csv'), 'utf8');
  assert.equal(csv, fs.readFileSync(path.join(tmp, 'whole.csv'), 'utf8'));
  assert.equal(csv.split('\n')[0], 'model,method,metric,better,n,missing,mean,std,ci95_low,ci95_high,min,max');
  assert.equal(csv.trim().split('\n').length, 1 + 2 * 2);
  for (const row of csv.trim().split('\n').slice(1)) assert.equal(row.split(',')[4], '5');
  // The table on stdout is the same for both.
  assert.equal(sharded.stdout.slice(sharded.stdout.indexOf('| method')), whole.stdout.slice(whole.stdout.indexOf('| method')));
  const png = decodeImage(fs.readFileSync(path.join(tmp, 'sharded.png')), 'sharded.png');
  assert.ok(png.width > 300 && png.height > 200);

  // Merging the shards with the unsharded file: every key twice, the same results, no conflict.
  const both = await cli(['evaluate', '--merge', `${at('results-*.jsonl')},${at('all.jsonl')}`, '--out', at('both.csv')]);
  assert.equal(both.code, 0, both.stderr);
  assert.match(both.stdout, /20 results \(5 images\) from 4 files, 20 duplicates dropped/);
  assert.equal(fs.readFileSync(path.join(tmp, 'both.csv'), 'utf8'), csv);

  // An existing --out without --resume is a usage error (exit 2), naming --resume.
  const again = await cli([...RUN, '--out', at('all.jsonl')]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /pass --resume/);
});

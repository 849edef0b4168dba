/**
 * The native TensorFlow.js detection path (src/engine/reconstruct/tf.ts) with stand-in modules: a fake
 * `@tensorflow/tfjs-node` in a temporary node_modules (found through NODE_PATH, as a package installed next to the
 * CLI would be) that registers a backend of its own, one that throws while loading, and a throwing -gpu next to a
 * working -node. Each case runs in a child process (NODE_PATH is read at start-up, loadTf caches) and trains the
 * generative inverter for one epoch on the convnet fixture, so training itself is shown to work on what was picked.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FIXTURES } from './helpers';

const ROOT = path.resolve(__dirname, '..', '..');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-tfjs-native-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const tfjs = require.resolve('@tensorflow/tfjs');
const cpu = require.resolve('@tensorflow/tfjs-backend-cpu');
/** A stand-in that behaves like tfjs-node: re-exports TF.js and makes its own backend ('tensorflow') current. */
const working = `const tf = require(${JSON.stringify(tfjs)});
const { MathBackendCPU } = require(${JSON.stringify(cpu)});
tf.registerBackend('tensorflow', () => new MathBackendCPU(), 3);
for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: 'tensorflow' });
tf.setBackend('tensorflow');
module.exports = tf;
`;
/** A stand-in whose native binding cannot load (what a missing libtensorflow or wrong CUDA looks like). */
const broken = `throw new Error('libtensorflow.so.2: cannot open shared object file (stand-in)');\n`;

function nodeModules(name: string, pkgs: Record<string, string>): string {
  const dir = path.join(tmp, name, 'node_modules');
  for (const [pkg, code] of Object.entries(pkgs)) {
    const d = path.join(dir, ...pkg.split('/'));
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, 'package.json'), JSON.stringify({ name: pkg, version: '0.0.0-standin', main: 'index.js' }));
    fs.writeFileSync(path.join(d, 'index.js'), code);
  }
  return dir;
}

const script = `
const path = require('node:path');
const fs = require('node:fs');
const { loadTf } = require(${JSON.stringify(path.join(ROOT, 'src/engine/reconstruct/tf.ts'))});
const { Engine } = require(${JSON.stringify(path.join(ROOT, 'src/engine/engine.ts'))});
const { trainInverter } = require(${JSON.stringify(path.join(ROOT, 'src/engine/reconstruct/inverter.ts'))});
(async () => {
  const { pkg, backend, failed } = await loadTf();
  const engine = new Engine({ threads: 1 });
  const out = process.env.OUT_DIR;
  const r = await trainInverter({ model: engine.open(${JSON.stringify(path.join(FIXTURES, 'convnet', 'model.onnx'))}),
    layer: '/relu2/Relu_output_0', images: ${JSON.stringify(path.join(FIXTURES, 'reconstruct', 'images'))}, out, epochs: 1, batch: 8 });
  await engine.dispose();
  process.stdout.write(JSON.stringify({ pkg, backend, failed, epoch: r.meta.epoch, loss: r.meta.loss, metaBackend: r.meta.backend }) + '\\n');
})().catch((e) => { console.error(e); process.exit(1); });
`;

function run(nodePath: string | undefined, env: Record<string, string> = {}) {
  const out = fs.mkdtempSync(path.join(tmp, 'out-'));
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: ROOT, encoding: 'utf8', timeout: 120_000,
    env: { ...process.env, NODE_PATH: nodePath ?? '', OUT_DIR: out, FEATUREVIS_TF: '', FEATUREVIS_COMPILE_CACHE_MB: '0', ...env },
  });
  assert.equal(r.status, 0, `child failed:\n${r.stderr}`);
  const last = r.stdout.trim().split('\n').at(-1)!;
  return { ...(JSON.parse(last) as { pkg: string; backend: string; failed: string[]; epoch: number; loss: number[]; metaBackend: string }), stderr: r.stderr };
}

const trained = (r: ReturnType<typeof run>) => {
  assert.equal(r.epoch, 1);
  assert.ok(r.loss.length === 1 && Number.isFinite(r.loss[0]) && r.loss[0] > 0, `loss ${r.loss}`);
};

test('no native package: pure TF.js on the cpu backend, nothing said', () => {
  const r = run(undefined);
  assert.deepEqual([r.pkg, r.backend, r.failed], ['@tensorflow/tfjs', 'cpu', []]);
  assert.doesNotMatch(r.stderr, /\[tf\]/);
  trained(r);
});

test('a working @tensorflow/tfjs-node is picked and training runs on its backend', () => {
  const r = run(nodeModules('working', { '@tensorflow/tfjs-node': working }));
  assert.deepEqual([r.pkg, r.backend, r.failed], ['@tensorflow/tfjs-node', 'tensorflow', []]);
  assert.equal(r.metaBackend, '@tensorflow/tfjs-node (tensorflow)', 'the checkpoint records the backend it was trained with');
  trained(r);
});

test('FEATUREVIS_TF=pure ignores an installed native package', () => {
  const r = run(nodeModules('forced', { '@tensorflow/tfjs-node': working }), { FEATUREVIS_TF: 'pure' });
  assert.deepEqual([r.pkg, r.backend], ['@tensorflow/tfjs', 'cpu']);
  trained(r);
});

test('a @tensorflow/tfjs-node that throws at load falls back to pure TF.js with a log line naming the error', () => {
  const r = run(nodeModules('broken', { '@tensorflow/tfjs-node': broken }));
  assert.deepEqual([r.pkg, r.backend], ['@tensorflow/tfjs', 'cpu']);
  assert.equal(r.failed.length, 1);
  assert.match(r.failed[0], /^@tensorflow\/tfjs-node is installed but failed to load: libtensorflow\.so\.2: cannot open/);
  assert.match(r.stderr, /\[tf\] @tensorflow\/tfjs-node is installed but failed to load: libtensorflow\.so\.2.*; falling back/);
  assert.match(r.stderr, /\[tf\] training uses pure TensorFlow\.js/);
  trained(r);
});

test('a broken @tensorflow/tfjs-node-gpu next to a working @tensorflow/tfjs-node: the CPU binding is used', () => {
  const r = run(nodeModules('gpu-broken', { '@tensorflow/tfjs-node-gpu': broken, '@tensorflow/tfjs-node': working }));
  assert.deepEqual([r.pkg, r.backend], ['@tensorflow/tfjs-node', 'tensorflow']);
  assert.equal(r.failed.length, 1);
  assert.match(r.failed[0], /^@tensorflow\/tfjs-node-gpu is installed but failed to load/);
  assert.match(r.stderr, /\[tf\] @tensorflow\/tfjs-node-gpu is installed but failed to load/);
  assert.doesNotMatch(r.stderr, /training uses pure/);
  trained(r);
});

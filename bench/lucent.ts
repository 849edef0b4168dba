/**
 * Activation maximisation against torch-lucent in one run: 256 steps at 128² on the same ResNet-50 (seeded random
 * weights; ONNX for us, the PyTorch original for Lucent), class-logit objective, Lucid's image aids (Fourier 1/f
 * parameterisation, decorrelated colour, jitter/scale/rotate), Adam lr 0.05, same thread count.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Engine } from '../src/engine/engine';
import { CACHE, peerPython, runPython, type Row } from './common';

function lucentPython(): string | undefined {
  for (const py of [process.env.FEATUREVIS_LUCENT_PYTHON, peerPython()]) {
    if (py && spawnSync(py, ['-c', 'import lucent, torchvision'], { encoding: 'utf8' }).status === 0) return py;
  }
  return undefined;
}

export async function benchLucent(): Promise<Row[]> {
  const threads = Number(process.env.BENCH_THREADS ?? 2);
  const steps = Number(process.env.BENCH_LUCENT_STEPS ?? 256);
  const py = lucentPython();
  if (!py) return [{ measure: 'activation-max vs torch-lucent', note: 'skipped: no Python with torch-lucent + torchvision (set FEATUREVIS_LUCENT_PYTHON)' }];
  runPython(py, ['tools/bench_models.py', CACHE, 'resnet50', '128']);
  const peer = JSON.parse(runPython(py, ['tools/bench_lucent.py', String(steps), '128', String(threads)])) as { ms: number };
  const engine = new Engine({ threads });
  try {
    const model = engine.open(path.join(CACHE, 'resnet50-128.onnx'));
    const input = { data: new Float32Array(3 * 128 * 128), dims: [1, 3, 128, 128] };
    const t0 = performance.now();
    const r = await engine.explain({ model, input, method: 'activation-max', target: { kind: 'class', index: 281 },
      params: { steps, lr: 0.05, fourier: true, decorrelate: true, transforms: true, seed: 0 } });
    const ours = performance.now() - t0;
    return [{ measure: `activation-max, ${steps} steps at 128², ResNet-50, Fourier + decorrelation + transforms`, 'ours ms': ours, 'Lucent ms': peer.ms, 'ours / Lucent': ours / peer.ms, 'target logit after': r.targetValue[0], goal: '≤ 1' }];
  } finally {
    await engine.dispose();
  }
}

if (require.main === module) benchLucent().then((rows) => console.table(rows), (e) => { console.error(e.message); process.exit(1); });

/**
 * Reconstruction benchmarks on the embedded EfficientNet-Lite0 (224², its fixed input size):
 *  - activation-max step time ÷ one gradient explanation run of the same model (goal ≤ 1.2);
 *  - aided activation-max step ÷ gradient run (goal ≤ 1.5): the image aids (Fourier 1/f + decorrelated colour +
 *    jitter/scale/rotate) compiled into the gradient graph (reconstruct/aided-graph.ts), one ORT run per step;
 *  - 256 aided steps extrapolated from the measured step time (the torch-lucent comparison, on a ResNet-50 that both
 *    sides have, is bench/lucent.ts).
 *  - decoder training throughput (train-inverter, pure TF.js CPU backend) on the convnet fixture (24²) with the
 *    24 fixture images, features from ORT at /relu2 (16×6×6), batch 8, 3 epochs (first epoch excluded: warm-up).
 */
import { Engine } from '../src/engine/engine';
import { loadImageFile } from '../src/engine/preprocess';
import * as path from 'node:path';
import { ROOT, type Row } from './common';

async function decoderThroughput(): Promise<number> {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const { trainInverter } = await import('../src/engine/reconstruct/inverter');
  const engine = new Engine({ threads: 1 });
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-bench-inv-'));
  try {
    const model = engine.open(path.join(ROOT, 'test', 'fixtures', 'convnet', 'model.onnx'));
    const images = path.join(ROOT, 'test', 'fixtures', 'reconstruct', 'images');
    let t0 = 0;
    let n = 0;
    await trainInverter({ model, layer: '/relu2/Relu_output_0', images, out, epochs: 3, batch: 8, lr: 3e-3, progress: (p) => {
      if (p.epochLoss !== undefined && p.epoch === 1) t0 = performance.now();
      else if (p.epoch > 1 && p.epochLoss === undefined) n += 8;
    } });
    return Math.min(n, 48) / ((performance.now() - t0) / 1000);
  } finally {
    await engine.dispose();
    fs.rmSync(out, { recursive: true, force: true });
  }
}

export async function benchReconstruct(): Promise<Row[]> {
  const threads = Number(process.env.BENCH_THREADS ?? 2);
  const engine = new Engine({ threads });
  try {
    const model = engine.open();
    const input = loadImageFile(path.join(ROOT, 'assets', 'samples', 'chelsea.png'), model.preprocessing());
    const target = { kind: 'class' as const, index: 281 };
    await engine.explain({ model, input, method: 'gradient', target });
    const grad: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await engine.explain({ model, input, method: 'gradient', target });
      grad.push(performance.now() - t0);
    }
    const gradMs = grad.sort((a, b) => a - b)[2];
    const steps = 32; // enough that the final image and evaluation (once per run) weigh little per step
    const per = async (params: Record<string, number | boolean>) => {
      await engine.explain({ model, input, method: 'activation-max', target, params: { steps: 1 } });
      const r = await engine.explain({ model, input, method: 'activation-max', target, params: { steps, ...params } });
      return r.timings.runMs / (steps + 1);
    };
    const plain = await per({});
    const aided = await per({ fourier: true, decorrelate: true, transforms: true });
    const fourierOnly = await per({ fourier: true });
    const ips = await decoderThroughput();
    return [
      { name: 'activation-max step ÷ gradient run (224², plain pixels + TV)', ours_ms: plain, peer_ms: gradMs, ratio: plain / gradMs, note: 'peer = one compiled gradient explanation of the same model; goal ≤ 1.2' },
      { name: 'aided activation-max step ÷ gradient run (Fourier + colour + transforms, 224²)', ours_ms: aided, peer_ms: gradMs, ratio: aided / gradMs, note: 'aids in the compiled graph (IDFT as MatMuls, resampling as GatherElements); goal ≤ 1.5' },
      { name: 'activation-max step, Fourier 1/f only (224²)', ours_ms: fourierOnly, peer_ms: gradMs, ratio: fourierOnly / gradMs, note: 'the 2-D IDFT and its adjoint as MatMuls in the compiled graph' },
      { name: 'decoder training images/s (pure TF.js)', ours_ms: undefined, images_per_s: ips, note: 'convnet fixture 24², layer relu2 16×6×6, batch 8; ORT features cached after epoch 1' },
      { name: '256 aided steps (224², extrapolated)', ours_ms: aided * 256, note: 'the torch-lucent comparison runs on ResNet-50 at 128² (bench/lucent.ts)' },
    ] as Row[];
  } finally {
    await engine.dispose();
  }
}

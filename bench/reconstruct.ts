/**
 * Reconstruction benchmarks on the embedded EfficientNet-Lite0 (224², its fixed input size):
 *  - activation-max step time ÷ one gradient explanation run of the same model (goal ≤ 1.2);
 *  - the same with the image aids (Fourier 1/f + decorrelated colour + jitter/scale/rotate), whose FFTs run in TS;
 *  - 256 aided steps extrapolated from the measured step time. The torch-lucent comparison is not made: Lucent needs
 *    a PyTorch model and there is no PyTorch twin of this ONNX model here, and the model does not accept 128².
 * Decoder training (train-inverter) is not implemented yet, so its throughput row is absent.
 */
import { Engine } from '../src/engine/engine';
import { loadImageFile } from '../src/engine/preprocess';
import * as path from 'node:path';
import { ROOT, type Row } from './common';

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
    const steps = 10;
    const per = async (params: Record<string, number | boolean>) => {
      await engine.explain({ model, input, method: 'activation-max', target, params: { steps: 1 } });
      const r = await engine.explain({ model, input, method: 'activation-max', target, params: { steps, ...params } });
      return r.timings.runMs / (steps + 1);
    };
    const plain = await per({});
    const aided = await per({ fourier: true, decorrelate: true, transforms: true });
    return [
      { name: 'activation-max step ÷ gradient run (224², plain pixels + TV)', ours_ms: plain, peer_ms: gradMs, ratio: plain / gradMs, note: 'peer = one compiled gradient explanation of the same model; goal ≤ 1.2' },
      { name: 'activation-max step, Fourier + colour + transforms (224²)', ours_ms: aided, peer_ms: gradMs, ratio: aided / gradMs, note: 'FFT/affine in TS dominate the extra time' },
      { name: '256 aided steps (224², extrapolated)', ours_ms: aided * 256, note: 'torch-lucent not compared: no PyTorch twin of the ONNX model; model input fixed at 224²' },
    ] as Row[];
  } finally {
    await engine.dispose();
  }
}

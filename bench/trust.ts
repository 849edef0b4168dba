/**
 * Trust benchmarks (issue 12), ratios in one run:
 *  (a) integrated-gradients, 32 steps, on ResNet-50 (torchvision, seeded random weights) ÷ Captum's
 *      IntegratedGradients with internal_batch_size 32 (PyTorch CPU, same threads); goal ≤ 0.6.
 *  (b) a 100-step deletion curve: images scored per second (101 inputs, the metric alone, best of the repeats) ÷
 *      onnxruntime's best batched forward throughput (images/s, best over batch sizes 1, 8, 16, 32 and repeats) on
 *      the same model, measured first in the process; goal ≥ 0.9.
 * Environment: BENCH_THREADS (2), BENCH_REPEATS (5), BENCH_TRUST_MODEL (resnet50), FEATUREVIS_PYTHON.
 */
import { Engine } from '../src/engine/engine';
import type { TensorData } from '../src/protocol/types';
import { ensureBenchModels, median, peerPython, runPython, type Row } from './common';
import { ortBestForward } from './occlusion';

export async function benchTrust(): Promise<Row[]> {
  const threads = Number(process.env.BENCH_THREADS ?? 2);
  const repeats = Number(process.env.BENCH_REPEATS ?? 5);
  const name = process.env.BENCH_TRUST_MODEL ?? 'resnet50';
  const py = peerPython();
  if (!py) throw new Error('no Python with torch, torchvision and captum found; see README (Benchmarks) to set FEATUREVIS_PYTHON');
  const file = ensureBenchModels(py, [name])[name];
  const captum = JSON.parse(runPython(py, ['tools/bench_captum_ig.py', name, '32', '32', String(repeats), String(threads)])) as { ms: number; torch: string; captum: string };
  const engine = new Engine({ threads });
  const rows: Row[] = [];
  try {
    const model = engine.open(file);
    const input: TensorData = { data: Float32Array.from({ length: 3 * 224 * 224 }, (_, i) => Math.sin(i * 0.37)), dims: [1, 3, 224, 224] };
    const top = (await engine.predict(model, input, 1))[0][0].index;
    const target = { kind: 'class' as const, index: top };
    const fwd = await ortBestForward(file, threads, [1, 8, 16, 32]);
    const evalOnce = async () => (await engine.evaluate({ model, input, method: 'gradient', target, metrics: [{ id: 'deletion', params: { steps: 100, curve: false } }] }))[0].ms;
    await evalOnce();
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) times.push(await evalOnce());
    // Best of the repeats, as ortBestForward takes its best.
    const ms = Math.min(...times);
    const perImage = ms / 101;
    rows.push({ measure: `${name} deletion, 100 steps (101 images)`, 'ours ms': perImage, 'peer ms': fwd.msPerImage, ratio: fwd.msPerImage / perImage,
      note: `ms per scored image vs per image of the best ORT forward (batch ${fwd.batch}); ratio = throughput ÷ ORT's; goal ≥ 0.9` });
    const igMs = await median(() => engine.explain({ model, input, method: 'integrated-gradients', params: { steps: 32 }, target }), repeats);
    rows.push({ measure: `${name} integrated-gradients, 32 steps`, 'ours ms': igMs, 'peer ms': captum.ms, ratio: igMs / captum.ms,
      note: `peer: Captum ${captum.captum} IntegratedGradients (torch ${captum.torch}), internal_batch_size 32; goal ratio ≤ 0.6` });

  } finally {
    await engine.dispose();
  }
  return rows;
}

/**
 * Gradient ÷ forward on the architectures people bring today (ViT-B/16, ConvNeXt-T; torchvision, random weights,
 * 224², batch 1), same run and threads. Issue 8's goal: ≤ 2.5. The peer Python only exports the models here.
 */
import { Engine } from '../src/engine/engine';
import { ensureBenchModels, median, peerTorchPython, type Row } from './common';

export async function benchTransformers(): Promise<Row[]> {
  const threads = Number(process.env.BENCH_THREADS ?? 2);
  const repeats = Number(process.env.BENCH_REPEATS ?? 5);
  const py = peerTorchPython();
  if (!py) throw new Error('no Python with torch and torchvision found to export ViT-B/16 and ConvNeXt-T (set FEATUREVIS_PYTHON)');
  const names = ['vit_b_16', 'convnext_tiny'];
  const files = ensureBenchModels(py, names);
  const rows: Row[] = [];
  for (const name of names) {
    const engine = new Engine({ threads });
    const model = engine.open(files[name]);
    const input = { data: Float32Array.from({ length: 3 * 224 * 224 }, (_, i) => Math.sin(i * 0.37)), dims: [1, 3, 224, 224] };
    const forwardMs = await median(() => engine.forward(model, input), repeats);
    rows.push({ model: name, method: 'forward', ms: forwardMs, 'ratio to forward': 1 });
    for (const method of ['gradient', 'guided-backprop', 'lrp-epsilon', 'grad-cam']) {
      const first = await engine.explain({ model, input, method });
      const ms = await median(() => engine.explain({ model, input, method }), repeats);
      rows.push({ model: name, method, ms, 'ratio to forward': ms / forwardMs, 'compile ms': first.timings.compileMs });
    }
    await engine.dispose();
  }
  return rows;
}

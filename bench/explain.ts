/**
 * Deconvolution-family methods vs the plain forward pass (onnxruntime CPU) and vs Captum (PyTorch CPU), same
 * models, inputs, batch sizes and thread count, in one run. Ratios are what the goals are stated in.
 */
import { Engine } from '../src/engine/engine';
import type { TensorData } from '../src/protocol/types';
import { ensureBenchModels, median, peerPython, runPython, type Row } from './common';

const METHODS = ['gradient', 'input-x-gradient', 'deconvnet', 'guided-backprop', 'lrp-epsilon', 'lrp-composite', 'grad-cam'];

export async function benchExplain(opts: { threads: number; repeats: number; batches: number[]; models: string[] }): Promise<{ rows: Row[]; compile: Row[] }> {
  const py = peerPython();
  if (!py) throw new Error('no Python with torch, torchvision and captum found; see README (Benchmarks) to set FEATUREVIS_PYTHON');
  const files = ensureBenchModels(py, opts.models);
  const captum = JSON.parse(runPython(py, ['tools/bench_captum.py', opts.models.join(','), opts.batches.join(','), String(opts.repeats), String(opts.threads)])) as { model: string; batch: number; method: string; ms: number }[];
  const peer = (model: string, batch: number, method: string) => captum.find((r) => r.model === model && r.batch === batch && r.method === method)?.ms;
  const rows: Row[] = [];
  const compile: Row[] = [];
  for (const name of opts.models) {
    const engine = new Engine({ threads: opts.threads });
    const model = engine.open(files[name]);
    for (const batch of opts.batches) {
      const input: TensorData = { data: Float32Array.from({ length: batch * 3 * 224 * 224 }, (_, i) => Math.sin(i * 0.37)), dims: [batch, 3, 224, 224] };
      const forwardMs = await median(() => engine.forward(model, input), opts.repeats);
      rows.push({ model: name, batch, method: 'forward', ms: forwardMs, 'ratio to forward': 1, 'PyTorch ms': peer(name, batch, 'forward'), 'ours / PyTorch': peer(name, batch, 'forward') ? forwardMs / peer(name, batch, 'forward')! : undefined });
      let gradientMs = 0;
      for (const method of METHODS) {
        const first = await engine.explain({ model, input, method });
        if (batch === opts.batches[0]) compile.push({ model: name, method, 'compile ms (rewrite + session)': first.timings.compileMs });
        const ms = await median(() => engine.explain({ model, input, method }), opts.repeats);
        if (method === 'gradient') gradientMs = ms;
        const p = peer(name, batch, method);
        rows.push({
          model: name, batch, method, ms, 'ratio to forward': ms / forwardMs,
          'ratio to gradient': method.startsWith('lrp') ? ms / gradientMs : undefined,
          'Captum ms': p, 'ours / Captum': p ? ms / p : undefined,
        });
      }
    }
    await engine.dispose();
  }
  return { rows, compile };
}

/**
 * Where the time of a compiled explanation goes, from onnxruntime's own profiler: kernel time per run by op type,
 * grouped (convolutions, transposed convolutions, NCHWc layout reorders, elementwise, pools, other), for the forward
 * pass, the gradient and lrp-composite on the bench models. Shares, not absolute times, are what this explains.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../src/engine/engine';
import type { TensorData } from '../src/protocol/types';
import { ensureBenchModels, peerTorchPython, type Row } from './common';

interface ProfileEvent { cat: string; name: string; dur: number; args?: { op_name?: string } }

const GROUPS: [string, RegExp][] = [
  ['conv', /^(Conv|FusedConv|NchwcConv|QLinearConv)$/],
  ['conv-transpose', /^ConvTranspose$/],
  ['layout reorder', /^Reorder(Input|Output)$/],
  ['gemm/matmul', /^(Gemm|MatMul|FusedGemm|FusedMatMul)$/],
  ['pool', /Pool$/],
  ['elementwise', /^(Add|Sub|Mul|Div|Where|Greater|Less|Relu|Sign|Sum|Neg|Abs|Max|Min|Clip|Cast|Equal|Not|And|Or|Sqrt|Reciprocal|Pow|BatchNormalization)$/],
];

const group = (op: string) => GROUPS.find(([, re]) => re.test(op))?.[0] ?? 'other';

/** Kernel microseconds per op type and the number of runs, from the session profile with the most kernel time. */
function readProfile(files: string[]): { perOp: Map<string, number>; runs: number } {
  let best: { perOp: Map<string, number>; runs: number; total: number } | undefined;
  for (const f of files) {
    const events = JSON.parse(fs.readFileSync(f, 'utf8')) as ProfileEvent[];
    const perOp = new Map<string, number>();
    let total = 0;
    let runs = 0;
    for (const e of events) {
      if (e.cat === 'Session' && e.name === 'model_run') runs++;
      if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || !e.args?.op_name) continue;
      perOp.set(e.args.op_name, (perOp.get(e.args.op_name) ?? 0) + e.dur);
      total += e.dur;
    }
    if (!best || total > best.total) best = { perOp, runs, total };
  }
  return best ? { perOp: best.perOp, runs: Math.max(1, best.runs) } : { perOp: new Map(), runs: 1 };
}

async function profileOne(file: string, method: string, input: TensorData, threads: number, repeats: number): Promise<Map<string, number>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-profile-'));
  const previous = process.env.FEATUREVIS_ORT_PROFILE;
  process.env.FEATUREVIS_ORT_PROFILE = path.join(dir, 'p');
  const engine = new Engine({ threads });
  try {
    const model = engine.open(file);
    for (let i = 0; i <= repeats; i++) {
      if (method === 'forward') await engine.forward(model, input);
      else await engine.explain({ model, input, method });
    }
  } finally {
    await engine.dispose();
    if (previous === undefined) delete process.env.FEATUREVIS_ORT_PROFILE;
    else process.env.FEATUREVIS_ORT_PROFILE = previous;
  }
  await new Promise((r) => setTimeout(r, 200));
  const { perOp, runs } = readProfile(fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => path.join(dir, f)));
  fs.rmSync(dir, { recursive: true, force: true });
  const groups = new Map<string, number>();
  for (const [op, us] of perOp) groups.set(group(op), (groups.get(group(op)) ?? 0) + us / runs / 1000);
  return groups;
}

export async function benchProfile(opts = { threads: Number(process.env.BENCH_THREADS ?? 2), repeats: 3, models: ['resnet50', 'vgg16'], batches: [1, 8] }): Promise<Row[]> {
  const py = peerTorchPython();
  if (!py) throw new Error('no Python with torch and torchvision found to export the bench models');
  const files = ensureBenchModels(py, opts.models);
  const rows: Row[] = [];
  for (const name of opts.models) {
    for (const batch of opts.batches) {
      const input: TensorData = { data: Float32Array.from({ length: batch * 3 * 224 * 224 }, (_, i) => Math.sin(i * 0.37)), dims: [batch, 3, 224, 224] };
      for (const method of ['forward', 'gradient', 'lrp-composite']) {
        const groups = await profileOne(files[name], method, input, opts.threads, opts.repeats);
        const total = [...groups.values()].reduce((a, b) => a + b, 0);
        const row: Row = { model: name, batch, method, 'kernel ms': total };
        for (const [g] of [...GROUPS, ['other']]) row[`${g} %`] = (100 * (groups.get(g as string) ?? 0)) / total;
        rows.push(row);
      }
    }
  }
  return rows;
}

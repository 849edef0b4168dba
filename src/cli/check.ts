/** `featurevis check`: compiled backward graphs vs finite differences of the plain model (see engine/check). */
import type { Engine } from '../engine/engine';
import { checkModel } from '../engine/check/check';
import { normals } from '../engine/check/finite-diff';
import type { CheckReport, TensorData } from '../protocol/types';
import { num, str, type Args } from './args';
import { TaskProgress, progressSink } from './progress';
import { loadInput } from './io';

/** Exit code when the check ran but found a disagreement (2 stays "bad input"). */
export const CHECK_FAILED_EXIT = 3;

export async function checkCommand(engine: Engine, args: Args): Promise<number> {
  const model = engine.open(args.positionals[0] ?? str(args, 'model'));
  const spec = str(args, 'input');
  const dims = model.inputShapeFor(1);
  // Without an input: a seeded standard-normal tensor of the model's input shape (its preprocessed units).
  const input: TensorData = spec ? loadInput(spec, model) : { data: normals(dims.reduce((a, b) => a * b, 1), 12345), dims };
  const methodList = str(args, 'methods')?.split(',').map((m) => m.trim()).filter(Boolean);
  const json = args.flags.has('json');
  const progress = new TaskProgress(progressSink(json || args.flags.has('quiet')), 'check: ');
  const report = await checkModel(engine, model, input, {
    directions: num(args, 'directions'), methods: methodList, onProgress: (message) => progress.report({ message }),
  }).finally(() => progress.end());
  console.log(json ? JSON.stringify(report, null, 2) : formatReport(report));
  return report.ok ? 0 : CHECK_FAILED_EXIT;
}

export function formatReport(r: CheckReport): string {
  const lines = [`${r.model}: input [${r.inputShape.join(', ')}], target '${r.target}' (random weighting)`];
  const g = r.gradient;
  if ('error' in g) lines.push(`  whole-model gradient: could not compile (${g.error})`);
  else lines.push(`  whole-model gradient vs finite differences: median relative error ${g.medianRelError.toExponential(2)} over ${g.directions.length} directions (max ${g.maxRelError.toExponential(2)}; tolerance ${g.tolerance} on the median) — ${g.ok ? 'agrees' : 'DISAGREES'}`);
  const bad = r.ops.filter((o) => !o.ok);
  const nodes = r.ops.reduce((a, o) => a + o.instances, 0);
  lines.push(`  per-node checks: ${r.ops.length} distinct configurations covering ${nodes} node inputs, ${bad.length} disagree (tolerance ${r.localTolerance})`);
  for (const o of bad) lines.push(`    SUSPICIOUS ${o.op} node '${o.node}' (input ${o.input}, ${o.instances} like it): ${o.error ?? `relative error ${o.relError!.toExponential(2)}`}`);
  lines.push('  methods:');
  for (const m of r.methods) lines.push(`    ${m.method.padEnd(18)} ${m.status.padEnd(15)} ${m.detail}`);
  lines.push(r.ok ? 'OK: the compiled graphs agree with the model.' : 'PROBLEMS FOUND: see above (please report the op and node).');
  return lines.join('\n');
}

/**
 * Per-node checks: each node on the explained path is cut out with its real input values (from the user's input),
 * one input at a time made the variable and the others frozen, and its gradient rule compared with finite
 * differences of that node alone. This localises a wrong rule to an op and a node. Nodes with the same op,
 * attributes, shapes and constness are checked once (repeated blocks of a network).
 */
import * as ort from 'onnxruntime-node';
import type { RuleRegistry } from '../backward/registry';
import { nodesBetween } from '../backward/backward';
import { attr, type Graph, type Model, type Node } from '../ir/graph';
import { ConstTensor, DataType } from '../ir/tensor';
import type { SessionSettings } from '../model';
import { maskedDirectionalCheck, normals, rms } from './finite-diff';
import { gradientRunner, intermediates, sessionFor } from './sessions';

export interface OpCheck {
  op: string;
  node: string;
  /** Index of the node input that was varied. */
  input: number;
  /** How many nodes share this configuration. */
  instances: number;
  relError?: number;
  ok: boolean;
  error?: string;
}

/** Relative disagreement allowed for one node (float32 forward, two step sizes). */
export const LOCAL_TOLERANCE = 1e-2;
/** Above this fraction of outputs dropped as non-smooth, a node's check says nothing (reported, not failed). */
const MAX_EXCLUDED = 0.2;

function signature(node: Node, varied: number, graph: Graph, shapes: Map<string, number[]>): string {
  const attrs = [...node.attrs.entries()].map(([k, v]) => `${k}=${v.kind === 'tensor' || v.kind === 'opaque' ? v.kind : JSON.stringify(v.value)}`).sort();
  const ins = node.inputs.map((i, k) => `${k === varied ? 'x' : graph.initializers.has(i) ? 'c' : 'a'}${JSON.stringify(shapes.get(i) ?? [])}`);
  return `${node.domain}.${node.op}|${attrs.join(',')}|${ins.join(',')}`;
}

/** A model of one node: input fv_x [1, n] reshaped to the varied tensor, frozen other inputs, outputs flattened into fv_out. */
function cutNode(node: Node, varied: string, graph: Graph, shapes: Map<string, number[]>, values: Map<string, ConstTensor>) {
  const dims = shapes.get(varied)!;
  const n = dims.reduce((a, b) => a * b, 1);
  const g: Graph = { name: 'fv_check', nodes: [], inputs: [{ name: 'fv_x', elemType: DataType.FLOAT, dims: [1, n] }], outputs: [], initializers: new Map(), valueInfo: [] };
  const local = new Map<string, number[]>([['fv_x', [1, n]], ['fv_var', dims], ['fv_var_shape', [dims.length]]]);
  g.initializers.set('fv_var_shape', ConstTensor.int64([dims.length], dims));
  g.nodes.push({ name: 'fv_in', op: 'Reshape', domain: '', inputs: ['fv_x', 'fv_var_shape'], outputs: ['fv_var'], attrs: new Map() });
  const inputs = node.inputs.map((i) => {
    if (!i) return i;
    if (i === varied) return 'fv_var';
    const constant = graph.initializers.get(i);
    if (constant) {
      g.initializers.set(i, constant);
      local.set(i, constant.dims);
      return i;
    }
    // A frozen activation stays a computed tensor (Identity of its value), so rules take their activation path.
    const t = values.get(i);
    if (!t) throw new Error(`no value for input '${i}'`);
    const frozen = `fv_frozen/${i}`;
    g.initializers.set(frozen, t);
    g.nodes.push({ name: `fv_freeze/${i}`, op: 'Identity', domain: '', inputs: [frozen], outputs: [i], attrs: new Map() });
    local.set(frozen, t.dims);
    local.set(i, t.dims);
    return i;
  });
  g.nodes.push({ ...node, inputs, attrs: new Map(node.attrs) });
  const flat: string[] = [];
  node.outputs.forEach((o, k) => {
    const s = o ? shapes.get(o) : undefined;
    if (!o || !s || values.get(o)?.dataType !== DataType.FLOAT) return;
    local.set(o, s);
    const f = `fv_flat_${k}`;
    g.initializers.set('fv_minus1', ConstTensor.int64([1], [-1]));
    local.set('fv_minus1', [1]);
    g.nodes.push({ name: f, op: 'Reshape', domain: '', inputs: [o, 'fv_minus1'], outputs: [f], attrs: new Map() });
    local.set(f, [s.reduce((a, b) => a * b, 1)]);
    flat.push(f);
  });
  if (flat.length === 0) return undefined;
  const total = flat.reduce((a, f) => a + local.get(f)![0], 0);
  g.nodes.push({ name: 'fv_out', op: 'Concat', domain: '', inputs: flat, outputs: ['fv_out'], attrs: new Map([['axis', attr.i(0)]]) });
  local.set('fv_out', [total]);
  g.outputs = [{ name: 'fv_out', elemType: DataType.FLOAT }];
  return { graph: g, shapes: local, n, outSize: total };
}

export interface LocalCheckOptions {
  registry: RuleRegistry;
  settings: SessionSettings;
  seed: number;
  /** Stop after this many distinct configurations (the rest are reported as unchecked). */
  maxConfigs?: number;
  onProgress?: (done: number, total: number) => void;
}

export async function checkNodes(model: Model, graph: Graph, shapes: Map<string, number[]>, inputName: string, input: ort.Tensor,
  target: string, opts: LocalCheckOptions): Promise<OpCheck[]> {
  const path = nodesBetween(graph, [inputName], target);
  const onPath = new Set<string>([inputName]);
  for (const n of path) for (const o of n.outputs) if (o) onPath.add(o);
  const needed = new Set<string>();
  for (const n of path) {
    for (const i of n.inputs) if (i && !graph.initializers.has(i)) needed.add(i);
    for (const o of n.outputs) if (o) needed.add(o);
  }
  needed.delete(inputName);
  const values = await intermediates(model, graph, inputName, input, [...needed], opts.settings);
  values.set(inputName, ConstTensor.float32([...input.dims].map(Number), input.data as Float32Array));
  const groups = new Map<string, { node: Node; input: number; count: number }>();
  for (const n of path) {
    n.inputs.forEach((i, k) => {
      if (!i || !onPath.has(i) || n.inputs.indexOf(i) !== k || values.get(i)?.dataType !== DataType.FLOAT) return;
      if (!opts.registry.get(n.op) || n.domain !== '') return;
      const key = signature(n, k, graph, shapes);
      const g = groups.get(key);
      if (g) g.count++;
      else groups.set(key, { node: n, input: k, count: 1 });
    });
  }
  const results: OpCheck[] = [];
  let done = 0;
  const list = [...groups.values()];
  for (const { node, input: k, count } of list) {
    if (opts.maxConfigs !== undefined && done >= opts.maxConfigs) break;
    results.push(await checkOne(model, node, k, count, graph, shapes, values, opts));
    opts.onProgress?.(++done, list.length);
  }
  return results;
}

async function checkOne(model: Model, node: Node, k: number, count: number, graph: Graph, shapes: Map<string, number[]>,
  values: Map<string, ConstTensor>, opts: LocalCheckOptions): Promise<OpCheck> {
  const base: OpCheck = { op: node.op, node: node.name, input: k, instances: count, ok: false };
  const cut = cutNode(node, node.inputs[k], graph, shapes, values);
  if (!cut) return { ...base, ok: true, error: 'no float output to check' };
  let runner;
  let forward: ort.InferenceSession | undefined;
  try {
    runner = await gradientRunner(model, cut.graph, cut.shapes, opts.registry, 'fv_out', 'fv_x', opts.settings);
    forward = await sessionFor(model, cut.graph, opts.settings);
    // Real values, jittered by 1 % of their RMS so exact ties (max-pooling zeros after a ReLU) are broken.
    const real = values.get(node.inputs[k])!.floats();
    const jitter = normals(real.length, opts.seed + 17);
    const scale = 1e-2 * (rms(real) || 1);
    const x = real.map((v, i) => v + scale * jitter[i]);
    const w = normals(cut.outSize, opts.seed + 29);
    const fwd = forward;
    const F = async (d: Float32Array) => {
      const out = await fwd.run({ fv_x: new ort.Tensor('float32', d, [1, cut.n]) });
      const y = Float32Array.from(out.fv_out.data as Float32Array);
      out.fv_out.dispose();
      return y;
    };
    const run = runner;
    const r = await maskedDirectionalCheck(F, (wm) => run.gradient(x, wm), x, w, { count: 2, seed: opts.seed + 31, step: 1e-3 });
    if (r.excluded > MAX_EXCLUDED) {
      return { ...base, ok: true, relError: r.maxRelError, error: `inconclusive: ${(100 * r.excluded).toFixed(0)} % of the outputs are not smooth at the step size` };
    }
    return { ...base, relError: r.maxRelError, ok: r.maxRelError <= LOCAL_TOLERANCE };
  } catch (e) {
    return { ...base, error: (e as Error).message.split('\n')[0] };
  } finally {
    await runner?.release();
    await forward?.release();
  }
}

/**
 * Rewrites a loaded graph into the form the backward compiler expects, for one fixed input shape:
 * Constant nodes become initializers, shape-only subgraphs are folded to constants (values from the probe),
 * opsets 11–16 are lifted to 17 (the attribute→input changes of opset 13; ScatterElements' add-reduction needs 16),
 * and optionally BatchNormalization is folded into the Conv before it (LRP treats the pair as one affine layer).
 */
import { attr, consumers, dataInputs, defaultOpset, getFloat, getInt, getInts, getTensor, nodeReads, type Graph, type Node } from './graph';
import { ConstTensor, DataType } from './tensor';
import type { ProbeResult } from './probe';

export const COMPILED_OPSET = 17;

export class UnsupportedModelError extends Error {}

/** Replaces Constant nodes with initializers. */
export function constantsToInitializers(g: Graph): void {
  g.nodes = g.nodes.filter((n) => {
    if (n.op !== 'Constant' || n.domain !== '') return true;
    const t = getTensor(n, 'value');
    if (t) g.initializers.set(n.outputs[0], t);
    else if (n.attrs.has('value_float')) g.initializers.set(n.outputs[0], ConstTensor.float32([], [getFloat(n, 'value_float', 0)]));
    else if (n.attrs.has('value_int')) g.initializers.set(n.outputs[0], ConstTensor.int64([], [getInt(n, 'value_int', 0)]));
    else if (n.attrs.has('value_ints')) {
      const v = getInts(n, 'value_ints') ?? [];
      g.initializers.set(n.outputs[0], ConstTensor.int64([v.length], v));
    } else if (n.attrs.has('value_floats')) {
      const a = n.attrs.get('value_floats');
      const v = a && a.kind === 'floats' ? a.value : [];
      g.initializers.set(n.outputs[0], ConstTensor.float32([v.length], v));
    } else return true;
    return false;
  });
}

/** Tensors that depend on a data input's values (not just its shape). */
export function dynamicTensors(g: Graph): Set<string> {
  const dyn = new Set(dataInputs(g).map((i) => i.name));
  for (const n of g.nodes) {
    if (n.op === 'Shape' || n.op === 'Size') continue;
    if (nodeReads(n).some((i) => i && dyn.has(i))) for (const o of n.outputs) if (o) dyn.add(o);
  }
  return dyn;
}

/** Folds every node whose outputs do not depend on input values, using the probe's values; removes dead nodes. */
export function foldStatic(g: Graph, probe: ProbeResult): void {
  const dyn = dynamicTensors(g);
  const keep: Node[] = [];
  for (const n of g.nodes) {
    const isStatic = n.outputs.every((o) => !o || !dyn.has(o));
    if (!isStatic) {
      keep.push(n);
      continue;
    }
    for (const o of n.outputs) {
      const v = o && probe.values.get(o);
      if (o && !v) {
        // A static float tensor too large to keep from the probe: leave the node (rare; e.g. a computed weight).
        keep.push(n);
        break;
      }
      if (o && v) g.initializers.set(o, v);
    }
  }
  g.nodes = keep;
  removeDeadNodes(g);
}

export function removeDeadNodes(g: Graph): void {
  const needed = new Set(g.outputs.map((o) => o.name));
  const alive: Node[] = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (n.outputs.some((o) => o && needed.has(o))) {
      alive.push(n);
      for (const inp of nodeReads(n)) if (inp) needed.add(inp);
    }
  }
  g.nodes = alive.reverse();
  for (const name of [...g.initializers.keys()]) {
    if (!needed.has(name) && !g.inputs.some((i) => i.name === name)) g.initializers.delete(name);
  }
}

/** Lifts nodes of opset 11–16 to opset-17 semantics. */
export function upgradeOpset(g: Graph, from: number): void {
  if (from < 11) {
    throw new UnsupportedModelError(`the model uses ONNX opset ${from}; FeatureVis supports opsets 11 to 21. Re-export it with opset_version ≥ 11 (13 or 17 recommended).`);
  }
  if (from >= 13) return;
  for (const n of g.nodes) {
    if (n.domain !== '') continue;
    const axesToInput = (key: string) => {
      const v = getInts(n, key);
      n.attrs.delete(key);
      if (v) {
        const name = `${n.name}/${key}_upgraded`;
        g.initializers.set(name, ConstTensor.int64([v.length], v));
        n.inputs[1] = name;
      }
    };
    if (n.op === 'Squeeze' || n.op === 'Unsqueeze' || n.op === 'ReduceSum') axesToInput('axes');
    if (n.op === 'Split') axesToInput('split');
    if (n.op === 'Softmax' || n.op === 'LogSoftmax') {
      // Before opset 13 these coerce the input to 2-D at `axis`; that equals the opset-13 meaning on the last axis.
      const axis = getInt(n, 'axis', 1);
      n.attrs.set('axis', attr.i(axis));
      (n as Node & { coerceCheck?: number }).coerceCheck = axis;
    }
  }
}

/** After shapes are known: reject pre-13 Softmax that coerced over more than one axis. */
export function checkCoercedSoftmax(g: Graph, shapes: Map<string, number[]>): void {
  for (const n of g.nodes as (Node & { coerceCheck?: number })[]) {
    if (n.coerceCheck === undefined) continue;
    const rank = shapes.get(n.inputs[0])?.length ?? 2;
    const axis = n.coerceCheck < 0 ? n.coerceCheck + rank : n.coerceCheck;
    if (axis !== rank - 1) {
      throw new UnsupportedModelError(`${n.op} node '${n.name}' (opset < 13) normalises over axes ${axis}..${rank - 1}; re-export the model with opset ≥ 13.`);
    }
  }
}

/**
 * Folds BatchNormalization into the Conv that feeds it (when the Conv output has no other reader and is not
 * protected), so LRP sees one affine layer. Forward values change only by float rounding.
 */
export function foldBatchNormIntoConv(g: Graph, protectedTensors: Set<string>): void {
  const readers = consumers(g);
  const producerOf = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) producerOf.set(o, n);
  const removed = new Set<Node>();
  for (const bn of g.nodes) {
    if (bn.op !== 'BatchNormalization' || bn.outputs.filter(Boolean).length !== 1) continue;
    const conv = producerOf.get(bn.inputs[0]);
    if (!conv || conv.op !== 'Conv' || protectedTensors.has(conv.outputs[0])) continue;
    if ((readers.get(conv.outputs[0]) ?? []).length !== 1 || g.outputs.some((o) => o.name === conv.outputs[0])) continue;
    const [scale, bias, mean, variance] = bn.inputs.slice(1, 5).map((n) => g.initializers.get(n));
    const weight = g.initializers.get(conv.inputs[1]);
    const convBias = conv.inputs[2] ? g.initializers.get(conv.inputs[2]) : undefined;
    if (!scale || !bias || !mean || !variance || !weight || (conv.inputs[2] && !convBias)) continue;
    if (weight.dataType !== DataType.FLOAT) continue;
    const eps = getFloat(bn, 'epsilon', 1e-5);
    const [s, b, m, v] = [scale, bias, mean, variance].map((t) => t.floats());
    const w = weight.floats();
    const cout = weight.dims[0];
    const per = w.length / cout;
    const nw = new Float32Array(w.length);
    const nb = new Float32Array(cout);
    const cb = convBias?.floats();
    for (let o = 0; o < cout; o++) {
      const k = s[o] / Math.sqrt(v[o] + eps);
      for (let j = 0; j < per; j++) nw[o * per + j] = w[o * per + j] * k;
      nb[o] = ((cb ? cb[o] : 0) - m[o]) * k + b[o];
    }
    const wName = `${conv.name}/weight_bnfolded`;
    const bName = `${conv.name}/bias_bnfolded`;
    g.initializers.set(wName, ConstTensor.float32(weight.dims, nw));
    g.initializers.set(bName, ConstTensor.float32([cout], nb));
    conv.inputs = [conv.inputs[0], wName, bName];
    conv.outputs = [bn.outputs[0]];
    removed.add(bn);
  }
  if (removed.size) {
    g.nodes = g.nodes.filter((n) => !removed.has(n));
    removeDeadNodes(g);
  }
}

export { defaultOpset };

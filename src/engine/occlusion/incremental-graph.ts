/**
 * Emits the incremental-occlusion graph (Krypton, Nakandala et al. 2019) for one model, target, input size and
 * window geometry. Walking the model's nodes in order, every tensor that depends on the input is either
 * - patched: only a region of it is computed per window, as a (B, C, h, w) patch; the rest equals the clean
 *   activation, fed once per image, or
 * - full: computed for the whole map, by the model's own nodes, on the batch.
 * A window op (Conv, MaxPool, AveragePool) on a patched tensor reads a crop gathered from [clean; patch; pad row]
 * with ONE Gather (indices fed per batch) and runs with pads 0; elementwise ops keep the region; binary ops and
 * channel Concats gather their inputs to a common region first. Anything else — global pooling, Flatten, Gemm, an
 * op without a rule, a region covering most of its map — materialises its patched inputs (the same Gather over the
 * whole map) and from there the model runs as it is.
 */
import { attr, consumers, getFloat, getInt, getInts, getString, nodeReads, type Graph, type Model, type Node } from '../ir/graph';
import { GraphBuilder } from '../ir/builder';
import { ConstTensor, DataType } from '../ir/tensor';
import {
  coverage, cropRegion, fullRegion, sameRegion, unionRegion, windowRegion,
  type Region, type WindowAxis,
} from './incremental-regions';

/** Past this fraction of its map, a region is computed in full: the crop would cost about as much. */
export const FULL_FRACTION = 0.75;

const UNARY = new Set(['Relu', 'LeakyRelu', 'Elu', 'Selu', 'Celu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh',
  'Softplus', 'Softsign', 'Clip', 'Identity', 'Dropout', 'Neg', 'Abs', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Erf',
  'Gelu', 'Mish', 'ThresholdedRelu', 'BatchNormalization', 'LRN', 'Floor', 'Ceil', 'Round', 'Sign', 'PRelu']);
const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Pow', 'Sum', 'Mean']);
const WINDOW = new Set(['Conv', 'MaxPool', 'AveragePool']);

/** A Gather whose indices the runner computes per batch: a crop of `source`'s [clean; patch; pad] rows. */
export interface GatherSpec {
  input: string;
  source: string;
  crop: Region;
}

export interface CleanSpec {
  /** Graph input fed with the clean activation as (items · H · W, C) rows. */
  input: string;
  tensor: string;
  channels: number;
}

export interface IncrementalPlan {
  model: Model;
  /** (B, C, box h, box w): the filled window region of the input. */
  patchInput: string;
  cleans: CleanSpec[];
  gathers: GatherSpec[];
  /** Patch regions of every tensor a gather reads from, by tensor. */
  regions: Map<string, Region>;
  /** Window ops computed on patches: output tensor and its region. */
  patched: { tensor: string; region: Region }[];
  /** The first node run on full maps (where the patches end), if any. */
  fullFrom?: string;
}

export interface PlanOptions {
  inputName: string;
  target: string;
  /** The input's region (the box at each window start). */
  input: Region;
  /** approx: Krypton's projective-field threshold τ (regions capped at τ of their map per axis). */
  tau?: number;
}

function windowAxes(n: Node, inShape: number[], outShape: number[], weight?: number[]): WindowAxis[] | undefined {
  const kernel = getInts(n, 'kernel_shape') ?? weight?.slice(2);
  if (!kernel || kernel.length !== 2) return undefined;
  const strides = getInts(n, 'strides') ?? [1, 1];
  const dilations = getInts(n, 'dilations') ?? [1, 1];
  const pads = getInts(n, 'pads') ?? [0, 0, 0, 0];
  const autoPad = getString(n, 'auto_pad', 'NOTSET');
  return [0, 1].map((i) => {
    const ax = { kernel: kernel[i], stride: strides[i], dilation: dilations[i], padBegin: pads[i] };
    if (autoPad === 'VALID') ax.padBegin = 0;
    else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const total = Math.max(0, (outShape[2 + i] - 1) * ax.stride + ax.dilation * (ax.kernel - 1) + 1 - inShape[2 + i]);
      ax.padBegin = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
    }
    return ax;
  });
}

/** Why an AveragePool cannot run on a zero-padded crop: a divisor that depends on the position. */
function averagePoolIssue(n: Node, axes: WindowAxis[], inShape: number[], outShape: number[]): string | undefined {
  const pads = getInts(n, 'pads') ?? [0, 0, 0, 0];
  const padded = getString(n, 'auto_pad', 'NOTSET').startsWith('SAME') || pads.some((p) => p > 0);
  if (padded && !getInt(n, 'count_include_pad', 0)) return 'AveragePool with padding and count_include_pad 0';
  for (let i = 0; i < 2; i++) {
    const span = axes[i].dilation * (axes[i].kernel - 1) + 1;
    const floorOut = Math.floor((inShape[2 + i] + pads[i] + pads[i + 2] - span) / axes[i].stride) + 1;
    if (outShape[2 + i] > floorOut) return 'AveragePool whose ceil_mode adds partial windows';
  }
  return undefined;
}

/** A constant broadcasts over a patch when it has no spatial (or batch) extent: scalars, (C,1,1), (1,C,1,1). */
function broadcastsOverPatch(shape: number[]): boolean {
  const r = shape.length;
  if (r > 4) return false;
  if (r >= 1 && shape[r - 1] !== 1) return false;
  if (r >= 2 && shape[r - 2] !== 1) return false;
  return r < 4 || shape[0] === 1;
}

/** Spatial padding of a constant-mode Pad ([top, left], value), or why it has no patch rule. */
function padGeometry(n: Node, value: (t: string) => number[] | undefined): { begin: number[]; value: number } | string {
  if (getString(n, 'mode', 'constant') !== 'constant') return `Pad '${n.name}' in mode ${getString(n, 'mode', '')}`;
  const pads = getInts(n, 'pads') ?? (n.inputs[1] ? value(n.inputs[1]) : undefined);
  if (!pads || pads.length !== 8 || n.inputs[3]) return `Pad '${n.name}' has pads that are not known per axis`;
  if (pads[0] || pads[1] || pads[4] || pads[5] || pads.some((p) => p < 0)) return `Pad '${n.name}' pads the batch or channels, or crops`;
  const v = n.inputs[2] ? value(n.inputs[2])?.[0] : getFloat(n, 'value', 0);
  if (v === undefined) return `Pad '${n.name}' has an unknown value`;
  return { begin: [pads[2], pads[3]], value: v };
}

export function planIncremental(model: Model, shapes: Map<string, number[]>, o: PlanOptions, values = new Map<string, ConstTensor>()): IncrementalPlan | { reason: string } {
  const src = model.graph;
  const graph: Graph = { name: `${src.name}_incremental`, nodes: [], inputs: [], outputs: [], initializers: new Map(src.initializers), valueInfo: [] };
  const opset = model.opsets.find((x) => x.domain === '' || x.domain === 'ai.onnx')?.version ?? 13;
  const b = new GraphBuilder(graph, opset, new Map(shapes), 'fvinc');
  const readers = consumers(src);
  const graphOutputs = new Set(src.outputs.map((x) => x.name));
  const used = (t: string) => !!t && (graphOutputs.has(t) || (readers.get(t)?.length ?? 0) > 0);
  const statics = new Set<string>(src.initializers.keys());
  const patch = new Map<string, string>();
  const regions = new Map<string, Region>();
  const channels = new Map<string, number>();
  const cleans: CleanSpec[] = [];
  const gathers: GatherSpec[] = [];
  const patched: IncrementalPlan['patched'] = [];
  const rank4 = (t: string) => shapes.get(t)?.length === 4;
  const windows = o.input[0].starts.length;
  const cap = (full: number) => (o.tau === undefined ? undefined : Math.max(1, Math.round(o.tau * full)));
  let fullFrom: string | undefined;
  let firstWhy: string | undefined;

  const inShape = shapes.get(o.inputName)!;
  const patchInput = 'fvinc/input_patch';
  graph.inputs.push({ name: patchInput, elemType: DataType.FLOAT, dims: ['batch', inShape[1], o.input[0].size, o.input[1].size] });
  patch.set(o.inputName, patchInput);
  regions.set(o.inputName, o.input);
  channels.set(o.inputName, inShape[1]);

  const cleanInput = (t: string) => b.memo(`clean|${t}`, () => {
    const input = `fvinc/clean_${cleans.length}`;
    graph.inputs.push({ name: input, elemType: DataType.FLOAT, dims: [`rows_${cleans.length}`, channels.get(t)!] });
    cleans.push({ input, tensor: t, channels: channels.get(t)! });
    return input;
  });
  /** [clean rows; patch rows; one pad row] of a patched tensor, (rows, C). */
  const data = (t: string, pad: number) => b.memo(`data|${t}|${pad}`, () => {
    const C = channels.get(t)!;
    const rows = b.memo(`rows|${t}`, () => b.op('Reshape', [b.op('Transpose', [patch.get(t)!], { perm: attr.ints([0, 2, 3, 1]) }), b.ints([-1, C])]));
    const padRow = b.constant(ConstTensor.float32([1, C], new Float32Array(C).fill(pad)), 'pad_row');
    return b.op('Concat', [cleanInput(t), rows, padRow], { axis: attr.i(0) });
  });
  /** A (B, C, crop h, crop w) crop of a patched tensor; `name` names the result (materialised tensors). */
  const gather = (t: string, crop: Region, pad: number, name?: string): string => {
    const C = channels.get(t)!;
    const input = `fvinc/indices_${gathers.length}`;
    graph.inputs.push({ name: input, elemType: DataType.INT32, dims: [`indices_${gathers.length}`] });
    gathers.push({ input, source: t, crop });
    const rows = b.op('Gather', [data(t, pad), input], { axis: attr.i(0) });
    const nhwc = b.op('Reshape', [rows, b.ints([-1, crop[0].size, crop[1].size, C])]);
    const out = name ?? b.fresh('crop');
    graph.nodes.push({ name: b.fresh('crop_node'), op: 'Transpose', domain: '', inputs: [nhwc], outputs: [out], attrs: new Map([['perm', attr.ints([0, 3, 1, 2])]]) });
    return out;
  };
  const materialised = new Set<string>();
  const materialise = (t: string) => {
    if (materialised.has(t)) return;
    materialised.add(t);
    const [ry, rx] = regions.get(t)!;
    gather(t, [fullRegion(ry.full, windows), fullRegion(rx.full, windows)], 0, t);
  };
  const setPatched = (t: string, name: string, region: Region, C: number) => {
    patch.set(t, name);
    regions.set(t, region);
    channels.set(t, C);
  };
  const copyNode = (n: Node, inputs: string[], output: string, attrs = new Map(n.attrs)): void => {
    graph.nodes.push({ name: b.fresh(`${n.op}_patch`), op: n.op, domain: n.domain, inputs, outputs: [output], attrs });
  };

  /** Emits the patch form of `n`, or says why there is none. */
  const tryPatch = (n: Node): string | undefined => {
    const out = n.outputs[0];
    if (n.domain !== '' && n.domain !== 'ai.onnx') return `${n.op} (domain ${n.domain}) has no patch rule`;
    if (n.outputs.slice(1).some(used)) return `${n.op} '${n.name}' uses its extra outputs`;
    if (!rank4(out)) return `${n.op} '${n.name}' does not give an (N, C, H, W) tensor`;
    const outShape = shapes.get(out)!;
    if (n.op === 'Pad' && patch.has(n.inputs[0]) && rank4(n.inputs[0])) {
      // A crop of the padded map: in-map positions from [clean; patch], the border from a pad row of the value.
      const g = padGeometry(n, (t) => src.initializers.get(t)?.numbers() ?? values.get(t)?.numbers());
      if (typeof g === 'string') return g;
      const x = n.inputs[0];
      const rin = regions.get(x)!;
      const axes = g.begin.map((p) => ({ kernel: 1, stride: 1, dilation: 1, padBegin: p }));
      const region: Region = [0, 1].map((i) => windowRegion(rin[i], axes[i], outShape[2 + i], cap(outShape[2 + i]))) as Region;
      if (coverage(region) > FULL_FRACTION) return `the region at Pad '${n.name}' covers most of its map`;
      const crop: Region = [0, 1].map((i) => cropRegion(region[i], axes[i], rin[i].full)) as Region;
      setPatched(out, gather(x, crop, g.value), region, outShape[1]);
      return undefined;
    }
    const dataIns = n.inputs.filter((i) => i && !statics.has(i));
    if (!dataIns.every((i) => patch.has(i) && rank4(i))) return `${n.op} '${n.name}' reads a tensor computed in full`;
    if (WINDOW.has(n.op)) {
      const x = n.inputs[0];
      if (dataIns.length !== 1 || dataIns[0] !== x) return `${n.op} '${n.name}' has computed weights`;
      const axes = windowAxes(n, shapes.get(x)!, outShape, n.op === 'Conv' ? shapes.get(n.inputs[1]) : undefined);
      if (!axes) return `${n.op} '${n.name}' is not 2-D`;
      if (n.op === 'AveragePool') {
        const issue = averagePoolIssue(n, axes, shapes.get(x)!, outShape);
        if (issue) return issue;
      }
      const rin = regions.get(x)!;
      const region: Region = [0, 1].map((i) => windowRegion(rin[i], axes[i], outShape[2 + i], cap(outShape[2 + i]))) as Region;
      if (coverage(region) > FULL_FRACTION) return `the region at ${n.op} '${n.name}' covers most of its map`;
      const crop: Region = [0, 1].map((i) => cropRegion(region[i], axes[i], rin[i].full)) as Region;
      const cropped = gather(x, crop, n.op === 'MaxPool' ? -Infinity : 0);
      const attrs = new Map(n.attrs);
      attrs.set('pads', attr.ints([0, 0, 0, 0]));
      attrs.delete('auto_pad');
      if (attrs.has('ceil_mode')) attrs.set('ceil_mode', attr.i(0));
      const name = b.fresh(`${n.op}_patch_out`);
      copyNode(n, [cropped, ...n.inputs.slice(1)], name, attrs);
      setPatched(out, name, region, outShape[1]);
      patched.push({ tensor: out, region });
      return undefined;
    }
    const isUnary = UNARY.has(n.op);
    const isConcat = n.op === 'Concat' && (getInt(n, 'axis', 1) === 1 || getInt(n, 'axis', 1) === -3);
    if (!isUnary && !BINARY.has(n.op) && !isConcat) return `${n.op} '${n.name}' has no patch rule`;
    if (isUnary && (n.inputs[0] !== dataIns[0] || dataIns.length !== 1)) return `${n.op} '${n.name}' reads its parameters from the input`;
    for (const i of n.inputs) {
      if (!i || !statics.has(i)) continue;
      const s = shapes.get(i);
      const param = n.op === 'BatchNormalization' || n.op === 'Clip' || n.op === 'Dropout';
      if (!s || (!param && !broadcastsOverPatch(s))) return `${n.op} '${n.name}' has a constant with a spatial extent`;
      if (isConcat) return `Concat '${n.name}' joins a constant`;
    }
    if (!isUnary && !isConcat && dataIns.some((i) => !sameShape(shapes.get(i)!, outShape))) return `${n.op} '${n.name}' broadcasts a computed tensor`;
    let region = regions.get(dataIns[0])!;
    const differ = dataIns.some((i) => !sameRegion(regions.get(i)![0], region[0]) || !sameRegion(regions.get(i)![1], region[1]));
    if (differ) {
      region = [0, 1].map((ax) => unionRegion(dataIns.map((i) => regions.get(i)![ax]), cap(outShape[2 + ax]))) as Region;
      if (coverage(region) > FULL_FRACTION) return `the common region at ${n.op} '${n.name}' covers most of its map`;
    }
    const inputs = n.inputs.map((i) => {
      if (!i || statics.has(i)) return i;
      const r = regions.get(i)!;
      return sameRegion(r[0], region[0]) && sameRegion(r[1], region[1]) ? patch.get(i)! : gather(i, region, 0);
    });
    const name = b.fresh(`${n.op}_patch_out`);
    copyNode(n, inputs, name);
    setPatched(out, name, region, outShape[1]);
    return undefined;
  };

  for (const n of src.nodes) {
    // nodeReads: a control-flow body may read a patched tensor from the outer scope (then it runs in full).
    const dataIns = nodeReads(n).filter((i) => i && !statics.has(i));
    if (dataIns.length === 0 && n.op !== 'RandomNormal' && n.op !== 'RandomUniform') {
      graph.nodes.push(n);
      for (const x of n.outputs) if (x) statics.add(x);
      continue;
    }
    if (n.op === 'Shape' && patch.has(n.inputs[0]) && rank4(n.inputs[0])) {
      // The full tensor's shape: the batch from the patch, the rest known for this input size.
      const [, C, H, W] = shapes.get(n.inputs[0])!;
      const batch = b.op('Slice', [b.op('Shape', [patch.get(n.inputs[0])!]), b.ints([0]), b.ints([1])]);
      const full = b.op('Concat', [batch, b.ints([C, H, W])], { axis: attr.i(0) });
      const start = getInt(n, 'start', 0);
      const end = n.attrs.has('end') ? getInt(n, 'end', 4) : 4;
      graph.nodes.push({ name: b.fresh('shape_node'), op: 'Slice', domain: '', inputs: [full, b.ints([start]), b.ints([end])], outputs: [n.outputs[0]], attrs: new Map() });
      continue;
    }
    const why = !dataIns.some((i) => patch.has(i)) ? 'full' : nodeReads(n) !== n.inputs ? `${n.op} '${n.name}' has a subgraph` : tryPatch(n);
    if (why === undefined) continue;
    if (why !== 'full') {
      firstWhy ??= why;
      fullFrom ??= n.name || n.outputs[0];
    }
    for (const i of dataIns) if (patch.has(i)) materialise(i);
    graph.nodes.push(n);
  }
  if (statics.has(o.target)) return { reason: `the target '${o.target}' does not depend on the input` };
  if (patch.has(o.target)) materialise(o.target);
  graph.outputs.push({ name: o.target, elemType: DataType.FLOAT });
  prune(graph);
  const live = new Set(graph.inputs.map((i) => i.name));
  const kept = patched.filter((p) => graph.nodes.some((n) => n.outputs[0] === patch.get(p.tensor)));
  if (kept.length === 0) return { reason: `incremental occlusion does not apply here: ${firstWhy ?? 'no layer computes on patches'}` };
  return {
    model: { ...model, graph, functions: [] },
    patchInput,
    cleans: cleans.filter((c) => live.has(c.input)),
    gathers: gathers.filter((g) => live.has(g.input)),
    regions,
    patched: kept,
    fullFrom,
  };
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Keeps the nodes, inputs and initializers the outputs need. */
function prune(g: Graph): void {
  const need = new Set(g.outputs.map((x) => x.name));
  const kept: Node[] = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (!n.outputs.some((x) => need.has(x))) continue;
    kept.push(n);
    for (const x of nodeReads(n)) if (x) need.add(x);
  }
  g.nodes = kept.reverse();
  g.inputs = g.inputs.filter((x) => need.has(x.name));
  for (const k of [...g.initializers.keys()]) if (!need.has(k)) g.initializers.delete(k);
}

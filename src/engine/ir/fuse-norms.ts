/**
 * Finds layer norms that exporters wrote out op by op (ReduceMean → Sub → Pow 2 → ReduceMean → Add ε → Sqrt →
 * Div, or Reciprocal → Mul; then an optional Mul γ and Add β) and replaces each with one LayerNormalization
 * (between Transposes when the normalised axes are not the last ones), so LRP gives the chain the layer-norm rule:
 * the σ branch gets no relevance and the division acts as a constant scale. Forward values change only by rounding.
 */
import { attr, consumers, getInt, getInts, type Graph, type Node } from './graph';
import { ConstTensor, DataType } from './tensor';

interface Chain {
  nodes: Node[];
  x: string;
  axes: number[];
  epsilon: number;
  scale?: ConstTensor;
  bias?: ConstTensor;
  out: string;
}

export function fuseDecomposedNorms(g: Graph, shapes: Map<string, number[]>, protectedTensors: Set<string>): number {
  const chains = findChains(g, shapes, protectedTensors);
  for (const chain of chains) replace(g, chain, shapes);
  return chains.length;
}

/** Output tensors of the written-out layer norms (for choosing default layers), without changing the graph. */
export function decomposedNormOutputs(g: Graph, shapes: Map<string, number[]>): Set<string> {
  return new Set(findChains(g, shapes, new Set()).map((c) => c.out));
}

function findChains(g: Graph, shapes: Map<string, number[]>, protectedTensors: Set<string>): Chain[] {
  const readers = consumers(g);
  const outputs = new Set([...g.outputs.map((o) => o.name), ...protectedTensors]);
  const only = (t: string, op?: string): Node | undefined => {
    const list = [...new Set(readers.get(t) ?? [])];
    if (list.length !== 1 || outputs.has(t)) return undefined;
    return !op || list[0].op === op ? list[0] : undefined;
  };
  const chains: Chain[] = [];
  for (const n of g.nodes) {
    const chain = n.op === 'ReduceMean' ? matchChain(g, n, shapes, readers, outputs, only) : undefined;
    if (chain) chains.push(chain);
  }
  return chains;
}

function reduceAxes(g: Graph, n: Node, rank: number): number[] | undefined {
  if (getInt(n, 'keepdims', 1) !== 1) return undefined;
  const axes = n.inputs[1] ? g.initializers.get(n.inputs[1])?.numbers() : getInts(n, 'axes');
  if (!axes || axes.length === 0) return undefined;
  return axes.map((a) => (a < 0 ? a + rank : a)).sort((p, q) => p - q);
}

function scalarOf(g: Graph, name: string): number | undefined {
  const t = g.initializers.get(name);
  return t && t.size === 1 ? t.numbers()[0] : undefined;
}

/** The other input of a binary node when it is a constant. */
function constOperand(g: Graph, n: Node, t: string): ConstTensor | undefined {
  if (n.inputs.length !== 2) return undefined;
  const other = n.inputs[0] === t ? n.inputs[1] : n.inputs[0];
  return other === t ? undefined : g.initializers.get(other);
}

function matchChain(g: Graph, mean: Node, shapes: Map<string, number[]>, readers: Map<string, Node[]>,
  outputs: Set<string>, only: (t: string, op?: string) => Node | undefined): Chain | undefined {
  const x = mean.inputs[0];
  const shape = shapes.get(x);
  if (!shape) return undefined;
  const axes = reduceAxes(g, mean, shape.length);
  const sub = axes && only(mean.outputs[0], 'Sub');
  if (!axes || !sub || sub.inputs[0] !== x || sub.inputs[1] !== mean.outputs[0]) return undefined;
  const c = sub.outputs[0];
  const cReaders = [...new Set(readers.get(c) ?? [])];
  const sq = cReaders.find((r) => (r.op === 'Pow' && r.inputs[0] === c && scalarOf(g, r.inputs[1]) === 2) || (r.op === 'Mul' && r.inputs[0] === c && r.inputs[1] === c));
  if (!sq || cReaders.length !== 2 || outputs.has(c)) return undefined;
  const div = cReaders.find((r) => r !== sq)!;
  const varNode = only(sq.outputs[0], 'ReduceMean');
  const varAxes = varNode && reduceAxes(g, varNode, shape.length);
  if (!varNode || !varAxes || varAxes.join() !== axes.join()) return undefined;
  const addEps = only(varNode.outputs[0], 'Add');
  const epsT = addEps && constOperand(g, addEps, varNode.outputs[0]);
  const sqrt = addEps && only(addEps.outputs[0], 'Sqrt');
  if (!epsT || epsT.size !== 1 || !sqrt) return undefined;
  const sigma = sqrt.outputs[0];
  const nodes = [mean, sub, sq, varNode, addEps, sqrt];
  if (div.op === 'Div') {
    if (div.inputs[0] !== c || div.inputs[1] !== sigma || !only(sigma)) return undefined;
  } else if (div.op === 'Mul') {
    const r = div.inputs[0] === c ? div.inputs[1] : div.inputs[0];
    const recip = only(sigma);
    const isRecip = recip && recip.outputs[0] === r && (recip.op === 'Reciprocal' || (recip.op === 'Div' && scalarOf(g, recip.inputs[0]) === 1 && recip.inputs[1] === sigma));
    if (!isRecip || !only(r)) return undefined;
    nodes.push(recip);
  } else return undefined;
  nodes.push(div);
  let out = div.outputs[0];
  const affine = (op: string) => {
    const next = only(out, op);
    const t = next && constOperand(g, next, out);
    if (!next || !t || t.dataType !== DataType.FLOAT || !broadcastsOver(t.dims, shape, axes)) return undefined;
    nodes.push(next);
    out = next.outputs[0];
    return t;
  };
  const scale = affine('Mul');
  const bias = affine('Add');
  return { nodes, x, axes, epsilon: epsT.numbers()[0], scale, bias, out };
}

/** A constant broadcast against `shape` that varies only along `axes`. */
function broadcastsOver(dims: number[], shape: number[], axes: number[]): boolean {
  const offset = shape.length - dims.length;
  return offset >= 0 && dims.every((d, i) => d === 1 || axes.includes(i + offset));
}

/** The constant's values over the normalised axes, as a dense tensor of shape dims[axes]. */
function overAxes(t: ConstTensor | undefined, fill: number, shape: number[], axes: number[]): ConstTensor {
  const normShape = axes.map((a) => shape[a]);
  const size = normShape.reduce((p, d) => p * d, 1);
  const out = new Float32Array(size).fill(fill);
  if (t) {
    const v = t.floats();
    const offset = shape.length - t.dims.length;
    const strides = t.dims.map((_, i) => t.dims.slice(i + 1).reduce((p, d) => p * d, 1));
    for (let k = 0; k < size; k++) {
      let rest = k;
      let src = 0;
      for (let j = axes.length - 1; j >= 0; j--) {
        const idx = rest % normShape[j];
        rest = Math.floor(rest / normShape[j]);
        const i = axes[j] - offset;
        if (i >= 0 && t.dims[i] !== 1) src += idx * strides[i];
      }
      out[k] = v[src];
    }
  }
  return ConstTensor.float32(normShape, out);
}

function replace(g: Graph, chain: Chain, shapes: Map<string, number[]>): void {
  const last = chain.nodes[chain.nodes.length - 1];
  const shape = shapes.get(chain.x)!;
  const rank = shape.length;
  const base = `${last.name}/fused_layernorm`;
  const scaleName = `${base}/scale`;
  const biasName = `${base}/bias`;
  g.initializers.set(scaleName, overAxes(chain.scale, 1, shape, chain.axes));
  if (chain.bias) g.initializers.set(biasName, overAxes(chain.bias, 0, shape, chain.axes));
  const trailing = chain.axes.every((a, i) => a === rank - chain.axes.length + i);
  const perm = [...shape.keys()].filter((a) => !chain.axes.includes(a)).concat(chain.axes);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  const added: Node[] = [];
  const node = (op: string, inputs: string[], output: string, attrs: Record<string, ReturnType<typeof attr.i>>, suffix: string) => {
    added.push({ name: `${base}/${suffix}`, op, domain: '', inputs, outputs: [output], attrs: new Map(Object.entries(attrs)) });
  };
  const lnIn = trailing ? chain.x : `${base}/in`;
  const lnOut = trailing ? chain.out : `${base}/out`;
  if (!trailing) {
    node('Transpose', [chain.x], lnIn, { perm: attr.ints(perm) }, 'transpose_in');
    shapes.set(lnIn, perm.map((a) => shape[a]));
    shapes.set(lnOut, perm.map((a) => shape[a]));
  }
  node('LayerNormalization', [lnIn, scaleName, ...(chain.bias ? [biasName] : [])], lnOut,
    { axis: attr.i(rank - chain.axes.length), epsilon: attr.f(chain.epsilon) }, 'ln');
  if (!trailing) node('Transpose', [lnOut], chain.out, { perm: attr.ints(inverse) }, 'transpose_out');
  const removed = new Set(chain.nodes);
  const at = g.nodes.indexOf(last);
  g.nodes = [...g.nodes.slice(0, at).filter((n) => !removed.has(n)), ...added, ...g.nodes.slice(at + 1).filter((n) => !removed.has(n))];
}


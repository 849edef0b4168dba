/**
 * Emits new nodes into a graph with fresh names. Helpers cover the ops whose form depends on the opset
 * (reductions, Unsqueeze, Split), so rules stay opset-agnostic; compiled graphs run at opset ≥ 17.
 */
import { attr, type AttrValue, type Graph, type Node } from './graph';
import { ConstTensor, DataType } from './tensor';

export class GraphBuilder {
  private counter = 0;
  private readonly scalarCache = new Map<string, string>();
  private readonly memos = new Map<string, string>();

  constructor(
    readonly graph: Graph,
    readonly opset: number,
    /** Static shapes of every tensor (forward tensors from the probe; new ones as the builder learns them). */
    readonly shapes: Map<string, number[]>,
    private readonly prefix = 'fv',
  ) {}

  fresh(hint: string): string {
    return `${this.prefix}/${hint}_${this.counter++}`;
  }

  /** Adds a node and returns its output names. */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs = 1, hint = op): string[] {
    const outs = Array.from({ length: outputs }, () => this.fresh(hint));
    const n: Node = { name: this.fresh(`${hint}_node`), op, domain: '', inputs, outputs: outs, attrs: new Map(Object.entries(attrs)) };
    this.graph.nodes.push(n);
    return outs;
  }

  /** Single-output node. */
  op(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, hint = op): string {
    return this.node(op, inputs, attrs, 1, hint)[0];
  }

  constant(t: ConstTensor, hint = 'const'): string {
    const name = this.fresh(hint);
    this.graph.initializers.set(name, t);
    this.shapes.set(name, t.dims);
    return name;
  }

  /** Computes a tensor once per key (modified weights, shared masks) and reuses its name. */
  memo(key: string, make: () => string): string {
    let name = this.memos.get(key);
    if (name === undefined) {
      name = make();
      this.memos.set(key, name);
    }
    return name;
  }

  /** A float scalar (rank 0), shared between uses. */
  scalar(v: number): string {
    const key = `f${v}`;
    let name = this.scalarCache.get(key);
    if (!name) {
      name = this.constant(ConstTensor.float32([], [v]), 'scalar');
      this.scalarCache.set(key, name);
    }
    return name;
  }

  ints(values: number[], hint = 'ints'): string {
    return this.constant(ConstTensor.int64([values.length], values), hint);
  }

  shapeOf(name: string): number[] {
    const s = this.shapes.get(name);
    if (!s) throw new Error(`internal: no static shape known for tensor '${name}'`);
    return s;
  }

  setShape(name: string, dims: number[]): string {
    this.shapes.set(name, dims);
    return name;
  }

  // ---- opset-dependent helpers ----

  reduce(op: 'ReduceSum' | 'ReduceMean' | 'ReduceMax', x: string, axes: number[], keepdims: boolean): string {
    const axesAsInput = op === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
    if (axesAsInput) return this.op(op, [x, this.ints(axes, 'axes')], { keepdims: attr.i(keepdims ? 1 : 0) });
    return this.op(op, [x], { axes: attr.ints(axes), keepdims: attr.i(keepdims ? 1 : 0) });
  }

  reshape(x: string, dims: number[]): string {
    return this.setShape(this.op('Reshape', [x, this.ints(dims, 'shape')]), dims);
  }

  /** Sums a signal of the broadcast output shape back to an input's shape (gradient of broadcasting). */
  unbroadcast(signal: string, outShape: number[], inShape: number[]): string {
    if (sameShape(outShape, inShape)) return signal;
    const offset = outShape.length - inShape.length;
    const axes: number[] = [];
    for (let i = 0; i < outShape.length; i++) {
      const d = i < offset ? 1 : inShape[i - offset];
      if (d === 1 && outShape[i] !== 1) axes.push(i);
      else if (i < offset) axes.push(i);
    }
    const reduced = axes.length ? this.reduce('ReduceSum', signal, axes, true) : signal;
    return this.reshape(reduced, inShape);
  }

  mul(a: string, b: string): string { return this.op('Mul', [a, b]); }
  add(a: string, b: string): string { return this.op('Add', [a, b]); }
  sub(a: string, b: string): string { return this.op('Sub', [a, b]); }
  div(a: string, b: string): string { return this.op('Div', [a, b]); }
  relu(a: string): string { return this.op('Relu', [a]); }
  neg(a: string): string { return this.op('Neg', [a]); }

  /** Elementwise min(x, 0). */
  negPart(a: string): string { return this.neg(this.relu(this.neg(a))); }

  /** 1 where cond holds, else 0, as float. */
  mask(op: 'Greater' | 'Less' | 'Equal', a: string, b: string): string {
    return this.op('Cast', [this.op(op, [a, b])], { to: attr.i(DataType.FLOAT) });
  }

  /** A zero tensor of a static shape. */
  zeros(dims: number[]): string {
    const t = this.op('ConstantOfShape', [this.ints(dims, 'shape')], {
      value: attr.t(ConstTensor.float32([1], [0])),
    });
    return this.setShape(t, dims);
  }

  /** Sums several signals arriving at one tensor. */
  sum(signals: string[]): string {
    return signals.length === 1 ? signals[0] : this.op('Sum', signals);
  }

  addOutput(name: string, elemType: number = DataType.FLOAT): void {
    if (!this.graph.outputs.some((o) => o.name === name)) this.graph.outputs.push({ name, elemType });
  }

  addInput(name: string, dims: number[], elemType: number = DataType.FLOAT): string {
    this.graph.inputs.push({ name, elemType, dims });
    this.shapes.set(name, dims);
    return name;
  }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

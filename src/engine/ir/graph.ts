/** A small, mutable graph IR over ONNX: nodes with named inputs/outputs, constant initializers, graph I/O. */
import { ConstTensor } from './tensor';

export type AttrValue =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'floats'; value: number[] }
  | { kind: 'ints'; value: number[] }
  | { kind: 'strings'; value: string[] }
  | { kind: 'tensor'; value: ConstTensor }
  /** Anything else (subgraphs, type protos): kept as the decoded protobuf object and written back unchanged. */
  | { kind: 'opaque'; value: unknown };

export interface Node {
  name: string;
  op: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Map<string, AttrValue>;
  /**
   * What the exporter recorded about the node (its doc_string and metadata_props: PyTorch's module scopes and stack
   * traces), kept from the file for the layer ↔ source map; absent when the file has none. Never encoded back.
   */
  meta?: { docString?: string; props?: Record<string, string> };
}

export interface ValueInfo {
  name: string;
  /** ONNX element type (DataType). */
  elemType: number;
  /** Dimensions; a string is a symbolic (dynamic) dimension, null an unknown one. */
  dims?: (number | string | null)[];
}

export interface Graph {
  name: string;
  nodes: Node[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: Map<string, ConstTensor>;
  valueInfo: ValueInfo[];
}

export interface Model {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number;
  docString: string;
  metadata: { key: string; value: string }[];
  graph: Graph;
  /** Local function definitions, kept opaque. */
  functions: unknown[];
}

export function defaultOpset(model: Model): number {
  return model.opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 1;
}

export const attr = {
  f: (value: number): AttrValue => ({ kind: 'float', value }),
  i: (value: number): AttrValue => ({ kind: 'int', value }),
  s: (value: string): AttrValue => ({ kind: 'string', value }),
  floats: (value: number[]): AttrValue => ({ kind: 'floats', value }),
  ints: (value: number[]): AttrValue => ({ kind: 'ints', value }),
  t: (value: ConstTensor): AttrValue => ({ kind: 'tensor', value }),
};

export function getInt(node: Node, name: string, fallback: number): number {
  const a = node.attrs.get(name);
  return a && a.kind === 'int' ? a.value : fallback;
}
export function getFloat(node: Node, name: string, fallback: number): number {
  const a = node.attrs.get(name);
  return a && (a.kind === 'float' || a.kind === 'int') ? a.value : fallback;
}
export function getInts(node: Node, name: string): number[] | undefined {
  const a = node.attrs.get(name);
  return a && a.kind === 'ints' ? a.value : undefined;
}
export function getString(node: Node, name: string, fallback: string): string {
  const a = node.attrs.get(name);
  return a && a.kind === 'string' ? a.value : fallback;
}
export function getTensor(node: Node, name: string): ConstTensor | undefined {
  const a = node.attrs.get(name);
  return a && a.kind === 'tensor' ? a.value : undefined;
}

/** Deep enough copy that a compile can add nodes, initializers and outputs without touching the loaded model. */
export function cloneGraph(g: Graph): Graph {
  return {
    name: g.name,
    nodes: g.nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs], attrs: new Map(n.attrs) })),
    inputs: g.inputs.map((v) => ({ ...v })),
    outputs: g.outputs.map((v) => ({ ...v })),
    initializers: new Map(g.initializers),
    valueInfo: g.valueInfo.map((v) => ({ ...v })),
  };
}

/** Map from tensor name to the node producing it. */
export function producers(g: Graph): Map<string, Node> {
  const m = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) if (o) m.set(o, n);
  return m;
}

/** Map from tensor name to the nodes reading it. */
export function consumers(g: Graph): Map<string, Node[]> {
  const m = new Map<string, Node[]>();
  for (const n of g.nodes) {
    for (const i of n.inputs) {
      if (!i) continue;
      const list = m.get(i);
      if (list) list.push(n);
      else m.set(i, [n]);
    }
  }
  return m;
}

/** The real (non-initializer) graph inputs. */
export function dataInputs(g: Graph): ValueInfo[] {
  return g.inputs.filter((i) => !g.initializers.has(i.name));
}

/** Outer-scope names of a node's subgraphs (attributes do not change after loading; inputs may, so they are not cached). */
const outerCache = new WeakMap<Node, string[]>();

/**
 * Every tensor a node reads: its inputs plus the outer-scope names its subgraphs (If/Loop/Scan bodies) use, so
 * dependency walks do not miss a path that runs through a control-flow body.
 */
export function nodeReads(n: Node): string[] {
  let outer = outerCache.get(n);
  if (!outer) {
    const names = new Set<string>();
    for (const a of n.attrs.values()) if (a.kind === 'opaque') collectOuterNames(a.value, names);
    outer = [...names];
    outerCache.set(n, outer);
  }
  return outer.length ? [...n.inputs, ...outer.filter((x) => !n.inputs.includes(x))] : n.inputs;
}

/** Names read inside decoded GraphProto attributes (g / graphs) that the subgraph does not define itself. */
function collectOuterNames(attrProto: unknown, out: Set<string>): void {
  const a = attrProto as { g?: SubGraph; graphs?: SubGraph[] };
  for (const sg of [a?.g, ...(a?.graphs ?? [])]) {
    if (!sg) continue;
    const defined = new Set<string>([...(sg.input ?? []).map((i) => i.name ?? ''), ...(sg.initializer ?? []).map((t) => t.name ?? '')]);
    for (const n of sg.node ?? []) {
      for (const i of n.input ?? []) if (i && !defined.has(i)) out.add(i);
      for (const o of n.output ?? []) defined.add(o);
      for (const inner of n.attribute ?? []) {
        const nested = new Set<string>();
        collectOuterNames(inner, nested);
        for (const x of nested) if (!defined.has(x)) out.add(x);
      }
    }
  }
}

interface SubGraph {
  node?: { input?: string[]; output?: string[]; attribute?: unknown[] }[];
  input?: { name?: string }[];
  initializer?: { name?: string }[];
}

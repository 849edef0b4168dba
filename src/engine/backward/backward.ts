/**
 * The backward pass as ONNX nodes: walks the forward graph from a target tensor back to the tensors to explain,
 * asking each op's rule for the signal of its inputs, and sums signals where a tensor has several readers.
 */
import type { GraphBuilder } from '../ir/builder';
import { consumers, nodeReads, type Graph, type Node } from '../ir/graph';
import { UnsupportedOpError } from './errors';
import type { RuleRegistry } from './registry';
import { linearRule } from './linear-rules';
import type { BackwardContext, NodeRules, RuleParams } from './types';

export interface BackwardRequest {
  /** Tensor the signal starts from. */
  target: string;
  /** Signal at the target (the weighting for gradients, weighting ⊙ target for LRP). */
  seed: string;
  /** Tensors to return the signal for (the model input, or a layer for Grad-CAM). */
  wrt: string[];
  rulesFor: (node: Node) => NodeRules;
  params: RuleParams;
  registry: RuleRegistry;
}

/** Nodes on some path from `from` to `to`, in topological order. */
export function nodesBetween(g: Graph, from: string[], to: string): Node[] {
  const reach = new Set(from);
  const forward: Node[] = [];
  for (const n of g.nodes) {
    if (nodeReads(n).some((i) => i && reach.has(i))) {
      forward.push(n);
      for (const o of n.outputs) if (o) reach.add(o);
    }
  }
  const needed = new Set([to]);
  const out: Node[] = [];
  for (let i = forward.length - 1; i >= 0; i--) {
    const n = forward[i];
    if (n.outputs.some((o) => needed.has(o))) {
      out.push(n);
      for (const inp of nodeReads(n)) if (inp && reach.has(inp)) needed.add(inp);
    }
  }
  return out.reverse();
}

/** Tensors known to be ≥ 0, by a forward pass asking each op's rule (OpTraits.nonNegative). */
export function nonNegativeTensors(g: Graph, registry: RuleRegistry): Set<string> {
  const nonneg = new Set<string>();
  const isNonNeg = (t: string) => nonneg.has(t) || (g.initializers.get(t)?.numbers().every((v) => v >= 0) ?? false);
  for (const n of g.nodes) {
    const decide = registry.get(n.op)?.traits?.nonNegative;
    if (n.domain === '' && decide?.(n, isNonNeg)) for (const o of n.outputs) if (o) nonneg.add(o);
  }
  return nonneg;
}

export function emitBackward(b: GraphBuilder, req: BackwardRequest): Map<string, string> {
  const g = b.graph;
  const nodes = nodesBetween(g, req.wrt, req.target);
  const fromWrt = new Set(req.wrt);
  for (const n of nodes) for (const o of n.outputs) if (o) fromWrt.add(o);
  const signals = new Map<string, string[]>([[req.target, [req.seed]]]);
  const nonneg = nonNegativeTensors(g, req.registry);
  const producerOf = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) if (o) producerOf.set(o, n);
  const readers = consumers(g);
  const signalOf = (name: string): string | undefined => {
    const list = signals.get(name);
    if (!list || list.length === 0) return undefined;
    const s = b.sum(list);
    signals.set(name, [s]);
    return s;
  };
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k];
    const outs = node.outputs.map((o) => (o ? signalOf(o) : undefined));
    if (outs.every((s) => s === undefined)) continue;
    const rule = req.registry.get(node.op);
    if (!rule || node.domain !== '') {
      throw new UnsupportedOpError(node.op, node.name, `no backward rule for op ${node.domain ? node.domain + '.' : ''}${node.op} (node '${node.name}')`);
    }
    const rules = req.rulesFor(node);
    const ctx: BackwardContext = {
      b,
      node,
      rules,
      params: req.params,
      lrp: rules.linear !== 'gradient',
      dy: (i = 0) => outs[i],
      wants: (i) => !!node.inputs[i] && fromWrt.has(node.inputs[i]) && !g.initializers.has(node.inputs[i]),
      shape: (name) => b.shapeOf(name),
      constant: (name) => g.initializers.get(name),
      producerOp: (name) => producerOf.get(name)?.op,
      producer: (name) => producerOf.get(name),
      consumers: (name) => readers.get(name) ?? [],
      nonNegative: (name) => nonneg.has(name),
      unsupported: (why) => new UnsupportedOpError(node.op, node.name, `${node.op} node '${node.name}': ${why}`),
      stabilizer: () => linearRule(rules.linear).stabilizer(ctx),
    };
    const grads = rule.backward(ctx);
    grads.forEach((s, i) => {
      const inp = node.inputs[i];
      if (!s || !inp || !ctx.wants(i)) return;
      b.setShape(s, b.shapeOf(inp));
      const list = signals.get(inp);
      if (list) list.push(s);
      else signals.set(inp, [s]);
    });
  }
  const result = new Map<string, string>();
  for (const w of req.wrt) {
    const s = signalOf(w);
    result.set(w, s ?? b.zeros(b.shapeOf(w)));
  }
  return result;
}

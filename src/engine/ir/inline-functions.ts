/**
 * Inlines ONNX local functions (FunctionProto), which current exporters emit for modules and decomposed ops, so
 * the backward compiler sees standard ops only. Body tensors get the calling node's name as prefix; attribute
 * references take the caller's value or the function's default. Nested calls are expanded until none is left.
 */
import type { Model, Node } from './graph';
import { decodeFunction, type FunctionBody } from '../onnx/codec';

const MAX_DEPTH = 32;

export function inlineLocalFunctions(model: Model): void {
  if (model.functions.length === 0) return;
  const bodies = new Map<string, FunctionBody>();
  for (const f of model.functions) {
    const body = decodeFunction(f);
    bodies.set(key(body.domain, body.name), body);
  }
  const g = model.graph;
  for (let depth = 0; ; depth++) {
    let expanded = false;
    const nodes: Node[] = [];
    for (const n of g.nodes) {
      const body = bodies.get(key(n.domain, n.op));
      if (!body) {
        nodes.push(n);
        continue;
      }
      if (depth >= MAX_DEPTH) throw new Error(`local function ${n.domain}.${n.op} is nested more than ${MAX_DEPTH} deep (recursive?)`);
      nodes.push(...expand(n, body));
      expanded = true;
    }
    g.nodes = nodes;
    if (!expanded) break;
  }
  // Domains used only by the inlined functions stay declared (harmless); the function list stays for the forward
  // session, which reads the original file anyway.
}

/** Functions are matched by domain and name (overloads, rare in exported models, are not told apart). */
function key(domain: string, name: string): string {
  return `${domain === 'ai.onnx' ? '' : domain}|${name}`;
}

function expand(call: Node, body: FunctionBody): Node[] {
  const rename = new Map<string, string>();
  body.inputs.forEach((formal, i) => rename.set(formal, call.inputs[i] ?? ''));
  body.outputs.forEach((formal, i) => rename.set(formal, call.outputs[i] ?? ''));
  const prefix = `${call.name}/`;
  const map = (name: string) => {
    if (!name) return '';
    const r = rename.get(name);
    if (r !== undefined) return r;
    const fresh = prefix + name;
    rename.set(name, fresh);
    return fresh;
  };
  return body.nodes.map(({ node, refs }, i) => {
    const attrs = new Map(node.attrs);
    for (const [attrName, ref] of refs) {
      const v = call.attrs.get(ref) ?? body.defaults.get(ref);
      if (v) attrs.set(attrName, v);
    }
    return { ...node, name: `${prefix}${node.name || `${node.op}_${i}`}`, inputs: node.inputs.map(map), outputs: node.outputs.map(map), attrs };
  });
}

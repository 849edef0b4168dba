/**
 * ONNX node → the module (PyTorch) or layer (Keras) it came from, from what each exporter records. One resolver
 * per exporter, chosen by the producer name and what the nodes carry.
 */
import type { Graph, Model, Node } from '../ir/graph';

export type Exporter = 'torch-dynamo' | 'torchscript' | 'tf2onnx' | 'unknown';

/** A frame of an exporter's stack trace (0-based line). */
export interface Frame { file: string; line: number; code: string }

export interface NodeOrigin {
  /** Dotted module path (`layer4.0.conv1`, '' for the model itself) or Keras layer name; null: none recorded. */
  modulePath: string | null;
  /** PyTorch's dynamo exporter: the class of each enclosing module by path ('' → the model's class). */
  classes?: Map<string, string>;
  /** PyTorch's dynamo exporter: the stack trace of the call that produced the node, outermost first. */
  frames?: Frame[];
  reason?: string;
}

const NAME_SCOPES = 'pkg.torch.onnx.name_scopes';
const CLASS_HIERARCHY = 'pkg.torch.onnx.class_hierarchy';
const STACK_TRACE = 'pkg.torch.onnx.stack_trace';

export function detectExporter(model: Model): Exporter {
  const producer = model.producerName.toLowerCase();
  const nodes = model.graph.nodes;
  if (nodes.some((n) => n.meta?.props?.[NAME_SCOPES] !== undefined)) return 'torch-dynamo';
  if (producer.includes('tf2onnx') || producer.includes('keras2onnx')) return 'tf2onnx';
  // TorchScript scope names: '/layer1/layer1.0/conv1/Conv'.
  const scoped = nodes.filter((n) => n.name.startsWith('/')).length;
  if (producer === 'pytorch' || scoped > nodes.length / 2) return scoped > 0 ? 'torchscript' : 'unknown';
  return 'unknown';
}

/** A Python list literal of strings as written by the exporter (`['', 'stem', 'stem.1']`). */
function pyStrings(s: string | undefined): string[] | undefined {
  if (!s) return undefined;
  const out: string[] = [];
  const re = /'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[1] ?? m[2]);
  return out;
}

export function parseStackTrace(s: string | undefined): Frame[] {
  if (!s) return [];
  const frames: Frame[] = [];
  const re = /File "([^"]+)", line (\d+), in [^\n]*(?:\n {2,}(?! *File ")([^\n]*))?/g;
  for (let m = re.exec(s); m; m = re.exec(s)) frames.push({ file: m[1], line: Number(m[2]) - 1, code: (m[3] ?? '').trim() });
  return frames;
}

const isPath = (s: string) => /^[A-Za-z_][\w]*(\.[\w]+)*$/.test(s);
const WEIGHTED = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

/**
 * The module whose weight a layer reads, from the weight's name (`stage1.0.conv1.weight`): dynamo names a Conv
 * with its BatchNorm folded in after the BatchNorm, but its weight still after the convolution.
 */
function weightOwner(node: Node, g: Graph, suffix: RegExp): string | undefined {
  if (!WEIGHTED.has(node.op)) return undefined;
  const w = node.inputs[1];
  if (!w || !g.initializers.has(w)) return undefined;
  const m = suffix.exec(w);
  return m && isPath(m[1]) ? m[1] : undefined;
}

function dynamo(node: Node, g: Graph): NodeOrigin {
  const props = node.meta?.props ?? {};
  const scopes = pyStrings(props[NAME_SCOPES]);
  const frames = parseStackTrace(props[STACK_TRACE]);
  if (!scopes || scopes.length === 0) return { modulePath: null, frames, reason: `node '${node.name}' carries no module scope (added by an optimisation pass?)` };
  const hierarchy = pyStrings(props[CLASS_HIERARCHY]) ?? [];
  // The last scope is the operation (`conv2d_3`), the ones before it the modules that enclose it.
  const modules = scopes.slice(0, -1);
  const classes = new Map<string, string>();
  modules.forEach((p, i) => hierarchy[i] && classes.set(p, hierarchy[i]));
  const owner = weightOwner(node, g, /^(.+)\.weight$/);
  return { modulePath: owner ?? modules[modules.length - 1] ?? '', classes, frames };
}

function torchscript(node: Node): NodeOrigin {
  if (!node.name.startsWith('/')) return { modulePath: null, reason: `node '${node.name}' is not named after a module scope` };
  // '/stage1/stage1.0/conv1/Conv': containers' children carry their full path, other scopes their attribute name.
  const segs = node.name.split('/').slice(1, -1);
  let p = '';
  for (const s of segs) p = p && s.startsWith(`${p}.`) ? s : p ? `${p}.${s}` : s;
  return { modulePath: p };
}

/** 'model/conv2d_1/Conv2D' → 'conv2d_1' (the first scope is the model's). */
function kerasLayer(name: string): string | undefined {
  const segs = name.replace(/:\d+$/, '').split('/');
  return segs.length >= 3 ? segs[1] : segs.length === 2 ? segs[0] : undefined;
}

function tf2onnx(node: Node, g: Graph): NodeOrigin {
  // A Conv with its BatchNorm folded in is named after the BatchNorm, its weight after the convolution.
  const w = WEIGHTED.has(node.op) && node.inputs[1] ? kerasLayer(node.inputs[1]) : undefined;
  const layer = (w && g.initializers.has(node.inputs[1]) ? w : undefined) ?? kerasLayer(node.name);
  return layer ? { modulePath: layer } : { modulePath: null, reason: `node '${node.name}' is not named after a Keras layer` };
}

export function nodeOrigin(exporter: Exporter, node: Node, g: Graph): NodeOrigin {
  switch (exporter) {
    case 'torch-dynamo': return dynamo(node, g);
    case 'torchscript': return torchscript(node);
    case 'tf2onnx': return tf2onnx(node, g);
    default: return { modulePath: null, reason: 'the model records no module or layer names FeatureVis can read (exported by PyTorch or tf2onnx, it would)' };
  }
}

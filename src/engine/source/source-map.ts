/**
 * The layer ↔ source map (`Requests.sourceMap`): each layer's ONNX node → its module path (module-path.ts) → the
 * line of the workspace's Python code that defines it (resolve-torch.ts for PyTorch, layer names for Keras).
 */
import * as fs from 'node:fs';
import type { LayerSource, SourceLocation } from '../../protocol/types';
import type { Model, Node } from '../ir/graph';
import { detectExporter, nodeOrigin, type Frame, type NodeOrigin } from './module-path';
import { emptyIndex, indexFile, type ClassInfo, type PythonIndex } from './python-index';
import { parsePython, type SyntaxNode, type Tree } from './python-parser';
import { TorchResolver } from './resolve-torch';

/** Bounds on what one request reads: model code is small, a workspace may hold vendored libraries. */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;
export const MAX_FILES = 5000;

export interface SourceMapOptions {
  /** The model's class (PyTorch); found from the exporter's records or the top-level module names otherwise. */
  rootClass?: string;
}

const location = (n: SyntaxNode, file: string): SourceLocation => ({
  file, line: n.startPosition.row, column: n.startPosition.column, endLine: n.endPosition.row, endColumn: n.endPosition.column,
});

/** `layers`: the engine's layer list (node and tensor names), answered in its order. */
export async function sourceMap(model: Model, layers: readonly { node: string; tensor: string }[], files: readonly string[], options: SourceMapOptions = {}): Promise<LayerSource[]> {
  const exporter = detectExporter(model);
  const byName = new Map<string, Node>(model.graph.nodes.map((n) => [n.name, n]));
  const origins = layers.map((l): NodeOrigin => {
    const node = byName.get(l.node);
    return node ? nodeOrigin(exporter, node, model.graph) : { modulePath: null, reason: `no node '${l.node}' in the model` };
  });
  const trees: Tree[] = [];
  try {
    const index = emptyIndex();
    const read = await readFiles(files, index, trees);
    const resolveOne = exporter === 'tf2onnx' ? kerasResolver(index) : torchResolver(index, origins, read, options);
    return layers.map((l, i) => {
      const o = origins[i];
      const base = { node: l.node, tensor: l.tensor, modulePath: o.modulePath };
      if (o.modulePath === null) return { ...base, reason: o.reason ?? 'no module path recorded' };
      const r = resolveOne(o);
      if ('at' in r) return { ...base, modulePath: r.path ?? o.modulePath, location: location(r.at, r.file) };
      // The call that produced the node, from the exporter's stack trace, is the next best line.
      const frame = innermostFrame(o.frames, read);
      if (frame) return { ...base, location: frame, reason: `${r.reason}; this is the line that calls it` };
      return { ...base, reason: r.reason };
    });
  } finally {
    for (const t of trees) t.delete();
  }
}

type Resolve = (o: NodeOrigin) => { at: SyntaxNode; file: string; path?: string } | { reason: string };

async function readFiles(files: readonly string[], index: PythonIndex, trees: Tree[]): Promise<Map<string, string[]>> {
  const read = new Map<string, string[]>();
  for (const file of files.slice(0, MAX_FILES)) {
    if (!file.endsWith('.py')) continue;
    let text: string;
    try {
      const st = fs.statSync(file);
      if (!st.isFile() || st.size > MAX_FILE_BYTES) continue;
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue; // deleted or unreadable since the host listed it
    }
    const tree = await parsePython(text);
    trees.push(tree);
    indexFile(index, tree.rootNode, file);
    read.set(file, text.split('\n'));
  }
  return read;
}

const norm = (p: string) => p.replace(/\\/g, '/');

/**
 * The workspace file a stack trace's path names: the same path, else the one sharing the longest tail of folders
 * (the model may have been exported on another machine or checkout), at least the file name.
 */
export function matchFile(traced: string, workspace: Iterable<string>): string | undefined {
  const t = norm(traced).split('/');
  let best: string | undefined;
  let bestLen = 0;
  for (const w of workspace) {
    const p = norm(w).split('/');
    let k = 0;
    while (k < t.length && k < p.length && t[t.length - 1 - k] === p[p.length - 1 - k]) k++;
    if (k > bestLen || (k === bestLen && k > 0 && w.length < (best?.length ?? Infinity))) [best, bestLen] = [w, k];
  }
  return bestLen > 0 ? best : undefined;
}

function innermostFrame(frames: Frame[] | undefined, read: Map<string, string[]>): SourceLocation | undefined {
  for (const f of [...(frames ?? [])].reverse()) {
    const file = matchFile(f.file, read.keys());
    const text = file && read.get(file)?.[f.line];
    // The line must still hold the code the trace quotes: an edited file no longer matches.
    if (file && text !== undefined && (!f.code || text.trim() === f.code)) {
      const column = text.length - text.trimStart().length;
      return { file, line: f.line, column, endLine: f.line, endColumn: text.trimEnd().length };
    }
  }
  return undefined;
}

function torchResolver(index: PythonIndex, origins: NodeOrigin[], read: Map<string, string[]>, options: SourceMapOptions): Resolve {
  // Files the stack traces pass through hold the model's code: their classes win over namesakes elsewhere.
  const traced = new Set<string>();
  for (const o of origins.slice(0, 64)) for (const f of o.frames ?? []) {
    const m = matchFile(f.file, read.keys());
    if (m) traced.add(m);
  }
  const resolver = new TorchResolver(index, (file) => (traced.has(file) ? 1 : 0));
  const root = rootClass(index, resolver, origins, options);
  if ('reason' in root) return () => root;
  return (o) => resolver.resolve(root, o.modulePath!, o.classes);
}

function rootClass(index: PythonIndex, resolver: TorchResolver, origins: NodeOrigin[], options: SourceMapOptions): ClassInfo | { reason: string } {
  const named = options.rootClass ?? origins.find((o) => o.classes?.get(''))?.classes?.get('')?.split('.').pop();
  if (named) return resolver.cls(named) ?? { reason: `no Python definition of the model's class '${named}' in the workspace` };
  // Otherwise the class whose submodules are the model's top-level modules.
  const top = [...new Set(origins.map((o) => o.modulePath?.split('.')[0]).filter((s): s is string => !!s))];
  if (top.length === 0) return { reason: 'the model names no modules' };
  let best: ClassInfo | undefined;
  let bestHits = 0;
  for (const list of index.classes.values()) for (const c of list) {
    const hits = top.filter((t) => resolver.attr(c, t) || resolver.attr(c, t.replace(/_\d+$/, ''))).length;
    if (hits > bestHits) [best, bestHits] = [c, hits];
  }
  return best ?? { reason: `no Python class in the workspace defines the model's top-level modules (${top.slice(0, 4).join(', ')})` };
}

/** Keras: a layer is the call that names it (`layers.Conv2D(…, name='conv1')`, or an f-string that matches). */
function kerasResolver(index: PythonIndex): Resolve {
  return (o) => {
    const layer = o.modulePath!;
    // tf2onnx's scopes add a uniquifying suffix under Keras 3 (`conv1` → `conv1_1`).
    const names = [layer, layer.replace(/_\d+$/, '')];
    for (const n of names) {
      const hit = index.named.find((c) => c.name === n);
      if (hit) return { at: hit.at, file: hit.file, path: n };
    }
    for (const n of names) {
      const hit = index.named.find((c) => c.re?.test(n));
      if (hit) return { at: hit.at, file: hit.file, path: n };
    }
    return { reason: `no Python definition of layer '${layer}' in the workspace (no call with name='${names[names.length - 1]}')` };
  };
}

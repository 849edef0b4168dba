/**
 * What the layer ↔ source map needs from the workspace's Python code, from the syntax tree: classes with the
 * submodules their methods assign (`self.x = …`, `self.add_module('x', …)`, `setattr(self, 'x', …)`), functions
 * with what they return, and calls that name a Keras layer (`name='conv1'`). No code is run.
 */
import type { SyntaxNode } from './python-parser';

/** A name bound to an expression: `value` is what was assigned, `at` the statement or argument shown as its line. */
export interface Binding { value: SyntaxNode; at: SyntaxNode; file: string }

export interface ClassInfo {
  name: string;
  file: string;
  node: SyntaxNode;
  bases: string[];
  attrs: Map<string, Binding>;
  /** Submodules registered under computed names (`self.add_module(f'block{i}', …)`). */
  patterns: { re: RegExp; binding: Binding }[];
}

export interface FunctionInfo { name: string; file: string; node: SyntaxNode; returns: SyntaxNode[] }

export interface PythonIndex {
  classes: Map<string, ClassInfo[]>;
  functions: Map<string, FunctionInfo[]>;
  /** Calls with a `name=` keyword (Keras layers), by the literal name or a pattern for f-strings. */
  named: { name?: string; re?: RegExp; at: SyntaxNode; file: string }[];
}

export function emptyIndex(): PythonIndex {
  return { classes: new Map(), functions: new Map(), named: [] };
}

const push = <K, V>(m: Map<K, V[]>, k: K, v: V) => void (m.get(k)?.push(v) ?? m.set(k, [v]));

/** The last name of a dotted reference: `nn.Conv2d` → `Conv2d`, `Block` → `Block`. */
export function lastName(n: SyntaxNode | null): string | undefined {
  if (!n) return undefined;
  if (n.type === 'identifier') return n.text;
  if (n.type === 'attribute') return n.childForFieldName('attribute')?.text;
  return undefined;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A string literal's text, or a pattern when it interpolates (f-strings); undefined for anything else. */
export function stringValue(n: SyntaxNode | null): { text?: string; re?: RegExp } | undefined {
  if (!n) return undefined;
  if (n.type === 'concatenated_string') {
    const parts = n.namedChildren.map((c) => stringValue(c));
    if (parts.some((p) => !p || p.re)) return undefined;
    return { text: parts.map((p) => p!.text).join('') };
  }
  if (n.type !== 'string') return undefined;
  let text = '';
  let re = '';
  let interpolated = false;
  for (const c of n.namedChildren) {
    if (!c) continue;
    if (c.type === 'string_content') {
      text += c.text;
      re += escapeRe(c.text);
    } else if (c.type === 'interpolation') {
      interpolated = true;
      re += '(.+?)';
    }
  }
  return interpolated ? { re: new RegExp(`^${re}$`) } : { text };
}

/** Nodes under `n` (itself included) in source order, not entering nested function or class bodies. */
export function* walk(n: SyntaxNode, enterScopes = false): Generator<SyntaxNode> {
  yield n;
  for (const c of n.namedChildren) {
    if (!c) continue;
    if (!enterScopes && (c.type === 'function_definition' || c.type === 'class_definition')) continue;
    yield* walk(c, enterScopes);
  }
}

/** The statement holding `n` (its line is where the binding is shown). */
export function statementOf(n: SyntaxNode): SyntaxNode {
  let s: SyntaxNode = n;
  while (s.parent && s.type !== 'expression_statement' && s.parent.type !== 'block' && s.parent.type !== 'module') s = s.parent;
  return s;
}

const isSelf = (n: SyntaxNode | null) => n?.type === 'identifier' && n.text === 'self';
const isNone = (n: SyntaxNode | null) => n?.type === 'none';

function classInfo(node: SyntaxNode, file: string): ClassInfo {
  const name = node.childForFieldName('name')?.text ?? '';
  const bases = (node.childForFieldName('superclasses')?.namedChildren ?? []).map((b) => lastName(b)).filter((b): b is string => !!b);
  const info: ClassInfo = { name, file, node, bases, attrs: new Map(), patterns: [] };
  const bind = (key: { text?: string; re?: RegExp } | undefined, value: SyntaxNode | null, at: SyntaxNode) => {
    if (!key || !value || isNone(value)) return;
    const binding = { value, at: statementOf(at), file };
    if (key.re) info.patterns.push({ re: key.re, binding });
    // The first assignment that is not None wins (`self.x = None` then `self.x = Conv(...)` under a condition).
    else if (key.text !== undefined && !info.attrs.has(key.text)) info.attrs.set(key.text, binding);
  };
  const body = node.childForFieldName('body');
  for (const method of body?.namedChildren ?? []) {
    const def = method?.type === 'decorated_definition' ? method.childForFieldName('definition') : method;
    if (def?.type !== 'function_definition') continue;
    for (const n of walk(def.childForFieldName('body')!)) {
      if (n.type === 'assignment') {
        const left = n.childForFieldName('left');
        if (left?.type === 'attribute' && isSelf(left.childForFieldName('object'))) {
          bind({ text: left.childForFieldName('attribute')?.text }, n.childForFieldName('right'), n);
        }
      } else if (n.type === 'call') {
        const fn = n.childForFieldName('function');
        const args = (n.childForFieldName('arguments')?.namedChildren ?? []).filter((a): a is SyntaxNode => !!a);
        if (fn?.type === 'attribute' && isSelf(fn.childForFieldName('object'))) {
          const m = fn.childForFieldName('attribute')?.text;
          if ((m === 'add_module' || m === 'register_module') && args.length >= 2) bind(stringValue(args[0]), args[1], n);
        } else if (fn?.type === 'identifier' && fn.text === 'setattr' && args.length >= 3 && isSelf(args[0])) {
          bind(stringValue(args[1]), args[2], n);
        }
      }
    }
  }
  return info;
}

function functionInfo(node: SyntaxNode, file: string): FunctionInfo {
  const returns: SyntaxNode[] = [];
  for (const n of walk(node.childForFieldName('body')!)) {
    if (n.type === 'return_statement' && n.namedChildren[0]) returns.push(n.namedChildren[0]);
  }
  return { name: node.childForFieldName('name')?.text ?? '', file, node, returns };
}

/** Adds one parsed file to the index. */
export function indexFile(index: PythonIndex, root: SyntaxNode, file: string): void {
  for (const n of walk(root, true)) {
    if (n.type === 'class_definition') {
      const c = classInfo(n, file);
      push(index.classes, c.name, c);
    } else if (n.type === 'function_definition') {
      const f = functionInfo(n, file);
      push(index.functions, f.name, f);
    } else if (n.type === 'keyword_argument' && n.childForFieldName('name')?.text === 'name') {
      const v = stringValue(n.childForFieldName('value'));
      const call = n.parent?.parent;
      if (v && call?.type === 'call') index.named.push({ name: v.text, re: v.re, at: call, file });
    }
  }
}

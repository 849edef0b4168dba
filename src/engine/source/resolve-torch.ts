/**
 * A PyTorch module path → the line that creates that module, by following the module tree through the code: the
 * root class's `self.x = …` assignments, the classes they instantiate, `nn.Sequential` / `nn.ModuleList` arguments
 * by index (including lists built with `append` and comprehensions), `nn.ModuleDict` / `OrderedDict` by key,
 * `add_module`, and helper functions that return one of these. Best effort: what the code computes at run time
 * beyond that is not followed, and the reason says where the walk stopped.
 */
import { lastName, stringValue, walk, type Binding, type ClassInfo, type PythonIndex } from './python-index';
import type { SyntaxNode } from './python-parser';

/** What an expression makes, as far as the code tells. */
type ModVal =
  | { kind: 'class'; cls: ClassInfo }
  /** A container: items by position (the last one repeats when `repeat`), or by key. */
  | { kind: 'list'; items: Binding[]; repeat: boolean; keys?: Map<string, Binding> }
  | { kind: 'leaf'; name: string }
  | { kind: 'unknown'; why: string };

const CONTAINERS = new Set(['Sequential', 'ModuleList']);
const MAX_DEPTH = 24;

export class TorchResolver {
  constructor(private readonly index: PythonIndex, private readonly preferFile?: (file: string) => number) {}

  /** A workspace class by name; with several, the one in the preferred file. */
  cls(name: string | undefined, near?: string): ClassInfo | undefined {
    const all = name ? this.index.classes.get(name) : undefined;
    if (!all?.length) return undefined;
    const score = (c: ClassInfo) => (c.file === near ? 2 : 0) + (this.preferFile?.(c.file) ?? 0);
    return [...all].sort((a, b) => score(b) - score(a))[0];
  }

  /** An attribute of a class or of its workspace base classes. */
  attr(cls: ClassInfo, name: string, seen = new Set<ClassInfo>()): Binding | undefined {
    if (seen.has(cls)) return undefined;
    seen.add(cls);
    const b = cls.attrs.get(name) ?? cls.patterns.find((p) => p.re.test(name))?.binding;
    if (b) return b;
    for (const base of cls.bases) {
      const c = this.cls(base, cls.file);
      const found = c && this.attr(c, name, seen);
      if (found) return found;
    }
    return undefined;
  }

  /**
   * Walks `path` from `root`. `classes` (dynamo's class hierarchy, by path) names the class of a level whenever the
   * code alone cannot tell it.
   */
  resolve(root: ClassInfo, path: string, classes?: Map<string, string>): { at: SyntaxNode; file: string; path: string } | { reason: string } {
    if (path === '') return { at: root.node.childForFieldName('name') ?? root.node, file: root.file, path };
    let val: ModVal = { kind: 'class', cls: root };
    let at: Binding | undefined;
    const segs = path.split('.');
    const found: string[] = [];
    for (let i = 0; i < segs.length; i++) {
      const prefix = segs.slice(0, i).join('.') || root.name;
      const hinted = classes && this.cls(lastName0(classes.get(segs.slice(0, i).join('.'))));
      if (hinted) val = { kind: 'class', cls: hinted };
      const step = this.child(val, segs[i]);
      if ('reason' in step) {
        // A library module (nn.MultiheadAttention) has children of its own: its line is the closest definition.
        if (val.kind === 'leaf' && at) return { at: at.at, file: at.file, path: [...found, ...segs.slice(i)].join('.') };
        return { reason: `no Python definition of module '${path}' in the workspace: ${step.reason(prefix)}` };
      }
      at = step.binding;
      found.push(step.name);
      val = this.evaluate(step.binding.value, step.binding.file, 0);
    }
    return { at: at!.at, file: at!.file, path: found.join('.') };
  }

  /** `name`: the submodule's name (a TorchScript scope `act_1` is the second call of `act`). */
  private child(val: ModVal, seg: string): { binding: Binding; name: string } | { reason: (prefix: string) => string } {
    if (val.kind === 'class') {
      const exact = this.attr(val.cls, seg);
      const stripped = seg.replace(/_\d+$/, '');
      const b = exact ?? this.attr(val.cls, stripped);
      return b ? { binding: b, name: exact ? seg : stripped } : { reason: () => `class ${val.cls.name} (${val.cls.file}) assigns no submodule '${seg}'` };
    }
    if (val.kind === 'list') {
      const b = val.keys?.get(seg) ?? (/^\d+$/.test(seg) ? val.items[Math.min(Number(seg), val.repeat ? val.items.length - 1 : Infinity)] : undefined);
      return b ? { binding: b, name: seg } : { reason: (p) => `'${p}' has no item '${seg}' the code shows` };
    }
    if (val.kind === 'leaf') return { reason: (p) => `'${p}' is a library module (${val.name})` };
    return { reason: (p) => `cannot tell what '${p}' holds (${val.why})` };
  }

  private evaluate(expr: SyntaxNode, file: string, depth: number): ModVal {
    if (depth > MAX_DEPTH) return { kind: 'unknown', why: 'too deep' };
    if (expr.type === 'parenthesized_expression' && expr.namedChildren[0]) return this.evaluate(expr.namedChildren[0], file, depth + 1);
    if (expr.type === 'conditional_expression') {
      // `A if cond else B`: the first branch that makes a module.
      for (const branch of [expr.namedChildren[0], expr.namedChildren[2]]) {
        const v = branch && this.evaluate(branch, file, depth + 1);
        if (v && v.kind !== 'unknown') return v;
      }
      return { kind: 'unknown', why: 'a conditional expression' };
    }
    if (expr.type === 'identifier') {
      const assigned = localAssignment(expr);
      return assigned ? this.evaluate(assigned, file, depth + 1) : { kind: 'unknown', why: `'${expr.text}' is not assigned in its function` };
    }
    if (expr.type !== 'call') return { kind: 'unknown', why: `a ${expr.type.replace(/_/g, ' ')}` };
    const name = lastName(expr.childForFieldName('function'));
    const args = (expr.childForFieldName('arguments')?.namedChildren ?? []).filter((a): a is SyntaxNode => !!a && a.type !== 'keyword_argument' && a.type !== 'comment');
    const cls = this.cls(name, file);
    if (cls) return { kind: 'class', cls };
    if (name && CONTAINERS.has(name)) return this.container(args, file);
    if (name === 'ModuleDict' && args[0]) return this.keyed(args[0], file);
    const fns = name ? this.index.functions.get(name) : undefined;
    if (fns?.length) {
      const fn = fns.find((f) => f.file === file) ?? fns[0];
      for (const r of fn.returns) {
        const v = this.evaluate(r, fn.file, depth + 1);
        if (v.kind !== 'unknown') return v;
      }
      return { kind: 'unknown', why: `what ${name}() returns` };
    }
    return name ? { kind: 'leaf', name } : { kind: 'unknown', why: 'a computed call' };
  }

  /** `nn.Sequential(a, b, *layers)`, `nn.Sequential(OrderedDict(…))`, `nn.ModuleList([…])`. */
  private container(args: SyntaxNode[], file: string): ModVal {
    if (args.length === 1 && args[0].type === 'call' && lastName(args[0].childForFieldName('function')) === 'OrderedDict') {
      const a = args[0].childForFieldName('arguments')?.namedChildren[0];
      return a ? this.keyed(a, file) : { kind: 'list', items: [], repeat: false };
    }
    const items: Binding[] = [];
    let repeat = false;
    for (const a of args) {
      const inner = a.type === 'list_splat' ? a.namedChildren[0] : args.length === 1 && (a.type === 'list' || a.type === 'list_comprehension' || a.type === 'identifier') ? a : undefined;
      if (!inner) {
        items.push({ value: a, at: a, file });
        continue;
      }
      const l = listItems(inner, file);
      if (!l) return { kind: 'unknown', why: `a list the code builds at run time (${inner.text.slice(0, 40)})` };
      items.push(...l.items);
      repeat = l.repeat;
    }
    return { kind: 'list', items, repeat };
  }

  /** A dict literal or a list of (key, module) pairs. */
  private keyed(n: SyntaxNode, file: string): ModVal {
    const keys = new Map<string, Binding>();
    for (const c of n.namedChildren) {
      if (!c) continue;
      const [k, v] = c.type === 'pair' ? [c.childForFieldName('key'), c.childForFieldName('value')] : c.type === 'tuple' ? [c.namedChildren[0], c.namedChildren[1]] : [null, null];
      const key = stringValue(k);
      if (key?.text !== undefined && v) keys.set(key.text, { value: v, at: c, file });
    }
    return { kind: 'list', items: [...keys.values()], repeat: false, keys };
  }
}

/** 'model.ConvBlock' → 'ConvBlock'. */
const lastName0 = (qualified: string | undefined) => qualified?.split('.').pop();

/** The function (or module) around `n`. */
function scopeOf(n: SyntaxNode): SyntaxNode {
  let s = n.parent;
  while (s && s.type !== 'function_definition' && s.type !== 'module') s = s.parent;
  return s ?? n;
}

/** The value last assigned to identifier `id` in its function before it is used. */
function localAssignment(id: SyntaxNode): SyntaxNode | undefined {
  let found: SyntaxNode | undefined;
  for (const n of walk(scopeOf(id).childForFieldName('body') ?? scopeOf(id))) {
    if (n.startIndex >= id.startIndex) break;
    if (n.type === 'assignment' && n.childForFieldName('left')?.type === 'identifier' && n.childForFieldName('left')!.text === id.text) {
      found = n.childForFieldName('right') ?? undefined;
    }
  }
  return found;
}

const inLoop = (n: SyntaxNode, scope: SyntaxNode) => {
  for (let p = n.parent; p && p !== scope; p = p.parent) if (p.type === 'for_statement' || p.type === 'while_statement') return true;
  return false;
};

/**
 * The items of a list of modules: a literal, a comprehension (its element repeats), or a local variable built by
 * assignment, `append`, `extend` and `+=` (an append inside a loop repeats).
 */
function listItems(n: SyntaxNode, file: string): { items: Binding[]; repeat: boolean } | undefined {
  const item = (v: SyntaxNode): Binding => ({ value: v, at: v, file });
  if (n.type === 'list') return { items: n.namedChildren.filter((c): c is SyntaxNode => !!c && c.type !== 'comment').map(item), repeat: false };
  if (n.type === 'list_comprehension') return n.childForFieldName('body') ? { items: [item(n.childForFieldName('body')!)], repeat: true } : undefined;
  if (n.type !== 'identifier') return undefined;
  const scope = scopeOf(n);
  const items: Binding[] = [];
  let repeat = false;
  let seen = false;
  for (const s of walk(scope.childForFieldName('body') ?? scope)) {
    if (s.startIndex >= n.startIndex) break;
    if (s.type === 'assignment' && s.childForFieldName('left')?.text === n.text) {
      const l = listItems(s.childForFieldName('right')!, file);
      if (!l) return undefined;
      items.length = 0;
      items.push(...l.items);
      repeat = l.repeat;
      seen = true;
    } else if (s.type === 'augmented_assignment' && s.childForFieldName('left')?.text === n.text) {
      const l = listItems(s.childForFieldName('right')!, file);
      if (!l) return undefined;
      items.push(...l.items);
      repeat = l.repeat || inLoop(s, scope);
    } else if (s.type === 'call') {
      const fn = s.childForFieldName('function');
      const m = fn?.type === 'attribute' && fn.childForFieldName('object')?.text === n.text ? fn.childForFieldName('attribute')?.text : undefined;
      const arg = s.childForFieldName('arguments')?.namedChildren[0];
      if (!arg || (m !== 'append' && m !== 'extend')) continue;
      if (m === 'append') items.push(item(arg));
      else {
        const l = listItems(arg, file);
        if (!l) return undefined;
        items.push(...l.items);
      }
      repeat = inLoop(s, scope);
    }
  }
  return seen ? { items, repeat } : undefined;
}

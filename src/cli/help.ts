/**
 * Per-command help generated from the method and metric schemas (methods/params.ts builders): each parameter's
 * flag, value, default, bounds and help text, so a new method's flags appear in `--help` without a line here.
 */
import type { MethodInfo, MetricInfo, ParamSpec } from '../protocol/types';

export interface Catalog {
  methods(): MethodInfo[];
  metrics(): MetricInfo[];
}

/** The value a flag takes, as help writes it. */
function placeholder(p: ParamSpec): string {
  switch (p.kind) {
    case 'number': return '<number>';
    case 'integer': return '<int>';
    case 'choice': return `<${p.choices.join('|')}>`;
    case 'boolean': return '[true|false]';
    case 'layer': return '<tensor>';
    case 'pair': return p.integer ? '<int,int>' : '<a,b>';
    case 'color': return '<r,g,b>';
    case 'text': return '<text>';
    case 'path': return `<${p.pathKind}>`;
  }
}

const shown = (v: unknown) => (Array.isArray(v) ? v.join(',') : String(v));

/** Default, bounds and requirement of one parameter, in words. */
export function paramFacts(p: ParamSpec): string[] {
  const facts: string[] = [];
  if ((p.kind === 'layer' || p.kind === 'path') && p.required) facts.push('required');
  const d: unknown = p.default;
  if (d !== undefined && d !== '' && !(typeof d === 'number' && Number.isNaN(d))) facts.push(`default ${shown(d)}`);
  if (p.kind === 'number' || p.kind === 'integer') {
    if (p.min !== undefined && p.max !== undefined) facts.push(`in [${p.min}, ${p.max}]`);
    else if (p.min !== undefined) facts.push(`≥ ${p.min}`);
    else if (p.max !== undefined) facts.push(`≤ ${p.max}`);
  }
  if (p.kind === 'pair' && p.min !== undefined) facts.push(`each ≥ ${p.min}`);
  return facts;
}

/** `    --eps <number>        default 0.25, in [0, 10]: ε (stabiliser) …` */
export function paramLine(p: ParamSpec, prefix = ''): string {
  const flag = `--${prefix}${p.name} ${placeholder(p)}`;
  const facts = paramFacts(p).join(', ');
  const text = [facts, p.help ?? p.label].filter(Boolean).join(': ');
  return `    ${flag.padEnd(30)} ${text}`;
}

function methodBlock(m: MethodInfo, all: MethodInfo[], inner?: string): string[] {
  const lines = [`  ${m.id} — ${m.title}: ${m.summary}`, ...m.params.map((p) => paramLine(p))];
  if (m.wraps) {
    const own = new Set(m.params.map((p) => p.name));
    const wrapped = inner ? all.find((x) => x.id === inner) : undefined;
    if (wrapped) lines.push(`    and ${wrapped.id}'s parameters (--${m.wraps} ${wrapped.id}):`, ...wrapped.params.filter((p) => !own.has(p.name)).map((p) => paramLine(p)));
    else lines.push(`    and the parameters of the method --${m.wraps} names (e.g. --${m.wraps} lrp-epsilon --eps 0.1; see --method ${m.id} --${m.wraps} NAME --help)`);
  }
  return lines;
}

const ids = (v: unknown) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : []);

/**
 * The method-parameter section of a command's help: every method of `which` (or the ones `chosen` names), each with
 * its parameters. `inner`: a wrapper's chosen inner method (`--of`).
 */
export function methodsHelp(catalog: Catalog, which: (m: MethodInfo) => boolean, chosen: unknown, inner?: unknown): string {
  const all = catalog.methods();
  const pick = ids(chosen);
  const listed = all.filter(which).filter((m) => pick.length === 0 || pick.includes(m.id));
  const unknown = pick.filter((id) => !all.some((m) => m.id === id));
  const head = pick.length
    ? 'Parameters of the chosen method' + (listed.length > 1 ? 's' : '') + ':'
    : 'Method parameters (each method takes its own; give --method NAME with --help to see one):';
  const body = listed.flatMap((m) => methodBlock(m, all, typeof inner === 'string' ? inner : undefined));
  const note = unknown.length ? [`  (no method named ${unknown.join(', ')}; methods: ${all.filter(which).map((m) => m.id).join(', ')})`] : [];
  return ['', head, ...body, ...note].join('\n');
}

/** Evaluate's metric section: each metric's parameters (`--name V`, or `--ID.name V` for that metric only). */
export function metricsHelp(catalog: Catalog, chosen: unknown): string {
  const pick = ids(chosen);
  const listed = catalog.metrics().filter((m) => pick.length === 0 || pick.includes(m.id));
  const body = listed.flatMap((m) => [`  ${m.id} — ${m.title} (better: ${m.better})`, ...m.params.map((p) => paramLine(p))]);
  return ['', 'Metric parameters (--NAME V sets every method and metric that declares NAME; --ID.NAME V only that one):', ...body].join('\n');
}

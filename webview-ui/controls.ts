/** One control per declared method parameter (ParamSpec), generated in the Visualize panel's side bar. */
import type { PanelState } from '../src/protocol/messages';
import type { ParamSpec, ParamValues } from '../src/protocol/types';
import { h, select } from './dom';

export interface ControlContext {
  layers: PanelState['layers'];
  onChange(v: ParamValues[string]): void;
  /** Path parameters: the path the host chose so far, and asking it to choose one. */
  chosenPath?: string;
  onPick(): void;
}

const fmt = (v: number) => (Math.abs(v) >= 0.01 && Math.abs(v) < 1000 ? v.toFixed(Math.abs(v) < 1 ? 3 : 2) : v.toExponential(1));

export function control(p: ParamSpec, current: unknown, ctx: ControlContext): HTMLElement {
  const { onChange } = ctx;
  const row = h('div', { className: 'row param', title: p.help ?? '' });
  row.append(h('label', { htmlFor: `param-${p.name}` }, p.label));
  if (p.kind === 'number' && p.min !== undefined && p.max !== undefined) {
    const v0 = typeof current === 'number' ? current : p.default;
    const lo = p.log ? Math.log(Math.max(p.min, 1e-12)) : p.min;
    const hi = p.log ? Math.log(p.max) : p.max;
    const toPos = (v: number) => (p.log ? Math.log(Math.max(v, 1e-12)) : v);
    const fromPos = (x: number) => (p.log ? Math.exp(x) : x);
    const step = p.log ? (hi - lo) / 200 : p.step ?? (hi - lo) / 100;
    const input = h('input', { type: 'range', id: `param-${p.name}`, 'data-param': p.name, min: String(lo), max: String(hi), step: String(step), value: String(toPos(v0)) });
    const value = h('span', { className: 'value' }, fmt(v0));
    input.addEventListener('input', () => { const v = fromPos(Number(input.value)); value.textContent = fmt(v); onChange(v); });
    row.append(input, value);
  } else if (p.kind === 'number' || p.kind === 'integer') {
    const input = h('input', { type: 'number', id: `param-${p.name}`, 'data-param': p.name, placeholder: p.default === null || p.default === undefined ? 'auto' : String(p.default), value: typeof current === 'number' ? String(current) : '' });
    input.addEventListener('change', () => onChange(input.value === '' ? undefined : Number(input.value)));
    row.append(input);
  } else if (p.kind === 'choice') {
    row.append(select(`param-${p.name}`, p.choices, typeof current === 'string' ? current : p.default, (v) => onChange(v)));
  } else if (p.kind === 'boolean') {
    const cb = h('input', { type: 'checkbox', id: `param-${p.name}`, checked: typeof current === 'boolean' ? current : p.default });
    cb.addEventListener('change', () => onChange(cb.checked));
    row.append(cb);
  } else if (p.kind === 'layer') {
    const s = h('select', { id: `param-${p.name}` });
    s.append(h('option', { value: '' }, '(default)'));
    for (const l of ctx.layers) if (l.shape.length === 4) s.append(h('option', { value: l.tensor, selected: l.tensor === current }, `${l.tensor} · ${l.op} [${l.shape.join('×')}]`));
    s.addEventListener('change', () => onChange(s.value || undefined));
    row.append(s);
  } else if (p.kind === 'path') {
    // Read-only: the host chooses the path with a dialog and keeps it (a webview never types where a method writes).
    const shown = ctx.chosenPath || `(no ${p.pathKind} chosen${p.required ? ': required' : ''})`;
    row.append(
      h('span', { id: `param-${p.name}`, className: 'path', 'data-param': p.name, title: ctx.chosenPath ?? '' }, shown),
      h('button', { id: `pick-${p.name}`, title: `choose the ${p.pathKind}`, onclick: () => ctx.onPick() }, 'Choose…'),
    );
  } else {
    const input = h('input', { type: 'text', id: `param-${p.name}`, value: current !== undefined ? String(current) : String(p.default ?? '') });
    input.addEventListener('change', () => {
      const nums = input.value.split(/[ ,]+/).filter(Boolean).map(Number);
      onChange(p.kind === 'text' ? input.value : nums.every(Number.isFinite) ? nums : undefined);
    });
    row.append(input);
  }
  return row;
}

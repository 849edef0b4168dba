/**
 * One control per declared method parameter (ParamSpec), generated in the Visualize panel's side bar: vscode-elements
 * for choices, toggles, fields and buttons, native sliders for ranged numbers; each labelled by the parameter's label.
 */
import type { PanelState } from '../src/protocol/messages';
import type { ParamSpec, ParamValues } from '../src/protocol/types';
import { h } from './dom';
import { vsButton, vsCheckbox, vsSelect, vsTextfield } from './elements';

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
  const id = `param-${p.name}`;
  row.append(h('label', { htmlFor: id }, p.label));
  if (p.kind === 'number' && p.min !== undefined && p.max !== undefined) {
    const v0 = typeof current === 'number' ? current : p.default;
    const lo = p.log ? Math.log(Math.max(p.min, 1e-12)) : p.min;
    const hi = p.log ? Math.log(p.max) : p.max;
    const toPos = (v: number) => (p.log ? Math.log(Math.max(v, 1e-12)) : v);
    const fromPos = (x: number) => (p.log ? Math.exp(x) : x);
    const step = p.log ? (hi - lo) / 200 : p.step ?? (hi - lo) / 100;
    const input = h('input', { type: 'range', id, 'data-param': p.name, 'aria-label': p.label, min: String(lo), max: String(hi), step: String(step), value: String(toPos(v0)) });
    const value = h('span', { className: 'value' }, fmt(v0));
    input.addEventListener('input', () => { const v = fromPos(Number(input.value)); value.textContent = fmt(v); onChange(v); });
    row.append(input, value);
  } else if (p.kind === 'number' || p.kind === 'integer') {
    const placeholder = p.default === null || p.default === undefined ? 'auto' : String(p.default);
    const input = vsTextfield(id, p.label, typeof current === 'number' ? String(current) : '', (v) => onChange(v === '' ? undefined : Number(v)), { type: 'number', placeholder });
    input.dataset.param = p.name;
    row.append(input);
  } else if (p.kind === 'choice') {
    row.append(vsSelect(id, p.label, p.choices, typeof current === 'string' ? current : p.default, (v) => onChange(v)));
  } else if (p.kind === 'boolean') {
    row.append(vsCheckbox(id, p.label, typeof current === 'boolean' ? current : p.default, (v) => onChange(v)));
  } else if (p.kind === 'layer') {
    const layers = ctx.layers.filter((l) => l.shape.length === 4).map((l) => ({ value: l.tensor, label: `${l.tensor} · ${l.op} [${l.shape.join('×')}]` }));
    row.append(vsSelect(id, p.label, [{ value: '', label: '(default)' }, ...layers], typeof current === 'string' ? current : '', (v) => onChange(v || undefined)));
  } else if (p.kind === 'path') {
    // Read-only: the host chooses the path with a dialog and keeps it (a webview never types where a method writes).
    const shown = ctx.chosenPath || `(no ${p.pathKind} chosen${p.required ? ': required' : ''})`;
    row.append(
      h('span', { id, className: 'path', 'data-param': p.name, title: ctx.chosenPath ?? '' }, shown),
      vsButton(`pick-${p.name}`, 'Choose…', () => ctx.onPick(), `choose the ${p.pathKind}`),
    );
  } else {
    row.append(vsTextfield(id, p.label, current !== undefined ? String(current) : String(p.default ?? ''), (v) => {
      const nums = v.split(/[ ,]+/).filter(Boolean).map(Number);
      onChange(p.kind === 'text' ? v : nums.every(Number.isFinite) ? nums : undefined);
    }));
  }
  return row;
}

/**
 * The panel's controls as @vscode-elements/elements web components (bundled into main.js, themed by VS Code's
 * --vscode-* variables, keyboard-operable). Each gets an accessible label: the select's and text field's `label`
 * (aria-label inside their shadow DOM) and the checkbox's own label text. Sliders stay native <input type=range>
 * (the library has none); see main.css.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { h } from './dom';

export interface Choice { value: string; label?: string; disabled?: boolean; description?: string }

export type Select = HTMLElementTagNameMap['vscode-single-select'];
export type Checkbox = HTMLElementTagNameMap['vscode-checkbox'];

/** A drop-down; `onChange` gets the chosen value (keyboard: arrows open and move, Enter chooses). */
export function vsSelect(id: string, label: string, choices: readonly (string | Choice)[], value: string, onChange: (v: string) => void): Select {
  const s = document.createElement('vscode-single-select');
  s.id = id;
  s.label = label;
  for (const c of choices) {
    const { value: v, label: text, disabled, description } = typeof c === 'string' ? { value: c } as Choice : c;
    const o = document.createElement('vscode-option');
    o.value = v;
    o.textContent = text ?? v;
    o.selected = v === value;
    if (disabled) o.disabled = true;
    if (description) o.description = description;
    s.append(o);
  }
  s.addEventListener('change', () => onChange(s.value));
  return s;
}

export function vsCheckbox(id: string, label: string, checked: boolean, onChange: (checked: boolean) => void, disabled = false): Checkbox {
  const c = document.createElement('vscode-checkbox');
  c.id = id;
  c.label = label;
  c.checked = checked;
  c.disabled = disabled;
  c.addEventListener('change', () => onChange(c.checked));
  return c;
}

export function vsButton(id: string, text: string, onClick: () => void, title = '', secondary = false): HTMLElementTagNameMap['vscode-button'] {
  const b = h('vscode-button', { id, title, onclick: onClick }, text);
  if (secondary) b.secondary = true;
  return b;
}

/** A text or number field; `onChange` runs when the edit is committed (Enter or leaving the field). */
export function vsTextfield(id: string, label: string, value: string, onChange: (v: string) => void, o: { type?: 'text' | 'number'; placeholder?: string } = {}): HTMLElementTagNameMap['vscode-textfield'] {
  const t = document.createElement('vscode-textfield');
  t.id = id;
  t.label = label;
  t.type = o.type ?? 'text';
  if (o.placeholder) t.placeholder = o.placeholder;
  t.value = value;
  t.addEventListener('change', () => onChange(t.value));
  return t;
}

/** A native slider with its value shown beside it; `onInput` runs while dragging. */
export function slider(id: string, label: string, r: { min: number; max: number; step: number; value: number }, show: (v: number) => string, onInput: (v: number) => void): { input: HTMLInputElement; value: HTMLElement } {
  const input = h('input', { type: 'range', id, min: String(r.min), max: String(r.max), step: String(r.step), value: String(r.value), 'aria-label': label });
  const value = h('span', { className: 'value' }, show(r.value));
  input.addEventListener('input', () => { const v = Number(input.value); value.textContent = show(v); onInput(v); });
  return { input, value };
}

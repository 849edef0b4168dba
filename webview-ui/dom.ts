/** Small DOM helpers shared by the views. */

type Child = Node | string | null | undefined;

/** `h('div', {className: 'x', onclick}, children…)`: props that are DOM properties are set, the rest become attributes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
    else if (k === 'className') el.className = String(v);
    else if (k in el && k !== 'list') (el as unknown as Record<string, unknown>)[k] = v;
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

/** The error bar above the view. */
export function showError(app: HTMLElement, message: string): void {
  let bar = document.getElementById('error');
  if (!bar) { bar = h('div', { id: 'error', className: 'error', role: 'alert' }); document.body.prepend(bar); }
  bar.textContent = message;
  app.classList.remove('loading');
  if (app.textContent === 'Loading…') app.textContent = '';
}

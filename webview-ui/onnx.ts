/** The .onnx editor's entry: model summary, operators, methods available here, layers, and the gradient check. */
import type { HostMessage } from '../src/protocol/messages';
import type { CheckReport } from '../src/protocol/types';
import type { View, ViewContext } from './api';
import { h } from './dom';
import { vsButton } from './elements';

type Init = Extract<HostMessage, { type: 'init'; view: 'onnx' }>;

export function onnxView(ctx: ViewContext, { summary, layers, methods }: Init): View {
  const { app } = ctx;
  app.className = 'onnx';
  app.textContent = '';
  const report = h('div', { id: 'check-report', className: 'check-report' });
  const dims = (d: (number | string | null)[]) => `[${d.map((x) => x ?? '?').join(' × ')}]`;
  const un = new Map(summary.unavailable.map((u) => [u.method, u.reason]));
  const hist = Object.entries(summary.opHistogram).sort((a, b) => b[1] - a[1]);
  app.append(
    h('h2', {}, summary.name),
    h('div', { className: 'row' },
      vsButton('visualize-sample', 'Visualize a sample image', () => ctx.send({ type: 'visualizeSample' })),
      vsButton('check-model', 'Check gradients', () => { report.textContent = 'Checking…'; ctx.send({ type: 'runCheck' }); }, 'compare the compiled backward passes with finite differences of this model', true)),
    report,
    h('table', { className: 'kv' },
      ...[['File', summary.path], ['Producer', summary.producer || '—'], ['Opset', String(summary.opset)],
        ['Inputs', summary.inputs.map((i) => `${i.name} ${dims(i.dims)}`).join(', ')],
        ['Outputs', summary.outputs.map((o) => `${o.name} ${dims(o.dims)}`).join(', ')],
        ['Parameters', summary.parameterCount.toLocaleString('en-US')], ['Labels', summary.labels ? `${summary.labels.length} classes` : 'none (add a sidecar JSON)']]
        .map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v)))),
    h('h3', {}, 'Operators'),
    h('div', { className: 'ops' }, ...hist.map(([op, n]) => h('span', { className: 'op' }, `${op} × ${n}`))),
    h('h3', {}, 'Methods'),
    h('ul', { id: 'methods', className: 'methods' }, ...methods.map((m) => {
      const why = un.get(m.id);
      return h('li', { className: why ? 'unavailable' : 'available', title: m.summary }, why ? '✗ ' : '✓ ', h('strong', {}, m.title), why ? ` — ${why}` : '');
    })),
    h('h3', {}, `Layers (${layers.length})`),
    h('table', { id: 'layers', className: 'layers' },
      h('tr', {}, h('th', {}, '#'), h('th', {}, 'Output tensor'), h('th', {}, 'Op'), h('th', {}, 'Shape'), h('th', {}, 'Params')),
      ...layers.map((l, i) => h('tr', {}, h('td', {}, String(i)), h('td', {}, l.tensor), h('td', {}, l.op), h('td', {}, `[${l.shape.join('×')}]`), h('td', { className: 'num' }, l.params ? l.params.toLocaleString('en-US') : '')))),
  );
  return {
    onMessage(m) {
      if (m.type === 'checkProgress') report.textContent = `Checking… ${m.message}`;
      else if (m.type === 'checkResult') renderCheck(report, m.report);
      else if (m.type === 'checkError') report.textContent = `Check failed: ${m.message}`;
    },
    dispose() { /* nothing pending */ },
  };
}

/** The check's verdict: whole-model agreement, suspicious ops, and one line per method. */
function renderCheck(el: HTMLElement, r: CheckReport): void {
  el.textContent = '';
  const g = r.gradient;
  const bad = r.ops.filter((o) => !o.ok);
  el.append(
    h('p', { className: r.ok ? 'available' : 'unavailable' }, r.ok ? '✓ The compiled graphs agree with the model.' : '✗ Problems found.'),
    h('p', {}, 'error' in g ? `Whole-model gradient: ${g.error}`
      : `Whole-model gradient vs finite differences: median relative error ${g.medianRelError.toExponential(1)} (tolerance ${g.tolerance}) — ${g.ok ? 'agrees' : 'disagrees'}`),
    h('p', {}, `Per-node checks: ${r.ops.length} configurations, ${bad.length} disagree`),
    ...bad.map((o) => h('p', { className: 'unavailable' }, `Suspicious: ${o.op} '${o.node}' — ${o.error ?? `relative error ${o.relError?.toExponential(1)}`}`)),
    h('ul', { className: 'methods' }, ...r.methods.map((m) => h('li', { className: m.status === 'agrees' || m.status === 'rules-verified' ? 'available' : 'unavailable' }, h('strong', {}, m.method), ` ${m.status} — ${m.detail}`))),
  );
}

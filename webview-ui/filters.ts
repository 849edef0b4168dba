/** The filters view's entry: each first-layer filter as a small image, scaled to its own ±max (grey = 0). */
import type { HostMessage } from '../src/protocol/messages';
import type { View, ViewContext } from './api';
import { drawPixels } from './canvas';
import { h } from './dom';
import { filterPixels } from './paint';

type Init = Extract<HostMessage, { type: 'init'; view: 'filters' }>;

export function filtersView({ app }: ViewContext, { filters: f }: Init): View {
  app.className = 'filters';
  app.textContent = '';
  const [out, inC, kh, kw] = f.dims;
  app.append(h('h2', {}, `First-layer filters of ${f.tensor}: ${out} × ${inC} × ${kh} × ${kw}`), h('p', {}, 'Each filter scaled to its own ±max; grey = 0.'));
  const wrap = h('div', { className: 'filter-grid' });
  const weights = { data: f.data, dims: f.dims };
  for (let o = 0; o < out; o++) {
    const c = h('canvas', { className: 'filter', width: kw, height: kh, title: `filter ${o}` });
    drawPixels(c, filterPixels(weights, o));
    wrap.append(c);
  }
  app.append(wrap);
  return { onMessage() { /* static */ }, dispose() { /* nothing pending */ } };
}

/**
 * The activations view: a layer's strongest feature maps for the current image (top k by mean or max, or in
 * channel order), a layer picker, and for a clicked channel its activation-max reconstruction and its attribution
 * on the image (computed by the host; the latest click wins).
 */
import { ACTIVATION_SORTS, type ActivationsState, type HostMessage } from '../src/protocol/messages';
import { DEFAULT_CLIP, defaultDisplay, renderRelevance, rgbImage } from '../src/protocol/render';
import type { View, ViewContext } from './api';
import { drawPixels } from './canvas';
import { anyNegative, channelPixels, sharedScale, sortChannels } from './activations-paint';
import { h } from './dom';
import { vsSelect } from './elements';

const CELL_PX = 88;
const DETAIL_PX = 224;

export function activationsView(ctx: ViewContext, state: ActivationsState): View {
  const { app } = ctx;
  app.className = 'activations';
  app.textContent = '';
  const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));
  const spatial = state.shape.slice(2).join('×');
  const layerChoices = state.layers.map((l) => ({ value: l.tensor, label: l.name ?? l.tensor, description: `${l.op} [${l.shape.join('×')}]${l.name ? ` · ${l.tensor}` : ''}` }));
  if (!layerChoices.some((c) => c.value === state.tensor)) layerChoices.unshift({ value: state.tensor, label: state.name ?? state.tensor, description: '' });
  const ask = (tensor: string, sort: string) => ctx.send({ type: 'activations', tensor, sort: sort as ActivationsState['sort'] });
  const controls = h('div', { className: 'controls' },
    vsSelect('act-layer', 'Layer', layerChoices, state.tensor, (t) => ask(t, state.sort)),
    vsSelect('act-sort', 'Top channels by', ACTIVATION_SORTS.map((s) => ({ value: s, label: s === 'index' ? 'mean, in channel order' : s })), state.sort, (s) => ask(state.tensor, s)));
  app.append(
    h('h2', { title: state.tensor }, `Activations of ${state.name ?? state.tensor}`),
    h('p', { className: 'muted' }, `${state.imageName} on ${state.modelName} · ${state.shape[1]} channels of ${spatial} · the ${state.channels.length} strongest by ${state.sort === 'max' ? 'max' : 'mean'} activation, on one colour scale · click a channel for what it responds to`),
    controls,
  );
  const grid = h('div', { className: 'filter-grid act-grid' });
  const shown = sortChannels(state.channels, state.sort);
  const scale = sharedScale(shown);
  const signed = anyNegative(shown);
  const detail = h('div', { className: 'canvases act-detail' });
  let pending = 0;
  for (const c of shown) {
    const canvas = h('canvas', { width: c.map.dims[1], height: c.map.dims[0] });
    drawPixels(canvas, channelPixels(c.map, scale, signed));
    Object.assign(canvas.style, { width: `${CELL_PX}px`, height: `${CELL_PX}px`, imageRendering: 'pixelated', cursor: 'pointer' });
    const cell = h('figure', { className: 'strip-cell act-channel', title: `channel ${c.index}: mean ${c.mean}, max ${c.max}`, tabIndex: 0 },
      // One short line each: "μ … · max …" wrapped mid-phrase in an 88 px cell.
      canvas, h('figcaption', {}, `#${c.index}`, h('br'), `μ ${fmt(c.mean)}`, h('br'), `max ${fmt(c.max)}`));
    cell.dataset.channel = String(c.index);
    const pick = () => {
      pending = ctx.nextSeq();
      for (const el of grid.querySelectorAll('.act-channel')) el.classList.toggle('selected', el === cell);
      detail.textContent = '';
      detail.dataset.channel = String(c.index);
      detail.append(h('p', {}, `Channel ${c.index}: computing its activation-max reconstruction and attribution…`));
      ctx.send({ type: 'channel', seq: pending, index: c.index });
    };
    cell.addEventListener('click', pick);
    cell.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') pick(); });
    grid.append(cell);
  }
  app.append(grid, detail);
  const figure = (title: string, p: { width: number; height: number; data: Uint8ClampedArray | Uint8Array }) => {
    const canvas = h('canvas', { width: p.width, height: p.height });
    drawPixels(canvas, p);
    const k = DETAIL_PX / Math.max(p.width, p.height);
    Object.assign(canvas.style, { width: `${Math.round(p.width * k)}px`, height: `${Math.round(p.height * k)}px` });
    return h('figure', { className: 'strip-cell' }, canvas, h('figcaption', {}, title));
  };
  return {
    onMessage(m: HostMessage) {
      if ((m.type !== 'channelResult' && m.type !== 'channelError') || m.seq !== pending) return;
      detail.textContent = '';
      detail.dataset.channel = String(m.index);
      if (m.type === 'channelError') { detail.append(h('p', { className: 'error-text' }, `Channel ${m.index}: ${m.message}`)); return; }
      const display = { ...defaultDisplay({ id: m.attributionMethod, family: 'gradient', output: 'map' }), mode: 'blend' as const };
      const attribution = renderRelevance(m.attribution, display, state.preview, state.frame);
      detail.append(
        figure(`channel ${m.index}: activation maximisation`, rgbImage(m.reconstruction, DEFAULT_CLIP)),
        figure(`channel ${m.index}: ${m.attributionMethod} on ${state.imageName}`, attribution),
      );
      detail.dataset.done = 'true';
    },
    dispose() { pending = -1; },
  };
}

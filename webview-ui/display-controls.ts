/**
 * The display controls of the current method: mode, sign, channels, colours, clipping, opacity (blend) and the
 * outline's share. Built when the method changes; `sync` reflects a change without rebuilding (a slider being
 * dragged keeps its focus). Every edit goes to `set` as a patch of the method's StoredDisplay.
 */
import { REDUCTIONS } from '../src/protocol/display';
import { DISPLAY_MODES, DISPLAY_OFFSETS, DISPLAY_SIGNS, type DisplayMode, type DisplayOffset, type DisplayOptions, type DisplaySign } from '../src/protocol/render';
import { h } from './dom';
import { slider, vsSelect, type Choice } from './elements';
import { COLOR_MAP_CHOICES, type ColorMapChoice } from './paint';
import type { StoredDisplay } from './visualize-state';

const MODE_LABELS: Record<DisplayMode, string> = {
  heatmap: 'heat map (the map alone)', blend: 'blended over the photo', masked: 'masked photo (shown where relevant)',
  alpha: 'alpha (photo opacity = relevance)', outline: 'outline of the top region', rgb: 'RGB image (per channel)', bw: 'black and white |value|',
};
const SIGN_LABELS: Record<DisplaySign, string> = { all: 'all (diverging)', positive: 'positive', negative: 'negative', absolute: 'absolute |value|' };
const OFFSET_LABELS: Record<DisplayOffset, string> = { zero: 'zero', min: "the map's minimum" };
const REDUCTION_LABELS: Record<string, string> = { sum: 'sum over channels', 'abs-sum': 'sum of |·|', 'max-abs': 'max |·|' };
const choices = <T extends string>(values: readonly T[], labels: Record<string, string>): Choice[] => values.map((v) => ({ value: v, label: labels[v] ?? v }));

export interface DisplayControls {
  element: HTMLElement;
  sync(d: DisplayOptions): void;
}

const pct = (v: number) => `${v} %`;

export function displayControls(d: DisplayOptions, stored: StoredDisplay, set: (patch: StoredDisplay) => void): DisplayControls {
  const row = (label: string, id: string, ...els: HTMLElement[]) => h('div', { className: 'row' }, h('label', { htmlFor: id }, label), ...els);
  const mode = vsSelect('mode', 'Display mode', choices(DISPLAY_MODES, MODE_LABELS), d.mode, (v) => set({ mode: v as DisplayMode }));
  const sign = vsSelect('sign', 'Sign', choices(DISPLAY_SIGNS, SIGN_LABELS), d.sign, (v) => set({ sign: v as DisplaySign }));
  const reduction = vsSelect('reduction', 'Channels', choices(REDUCTIONS, REDUCTION_LABELS), d.reduction, (v) => set({ reduction: v as DisplayOptions['reduction'] }));
  const offset = vsSelect('offset', 'Scale starts at', choices(DISPLAY_OFFSETS, OFFSET_LABELS), d.offset ?? 'zero', (v) => set({ offset: v as DisplayOffset }));
  const cmap = vsSelect('colormap', 'Colours', COLOR_MAP_CHOICES, stored.colorMap ?? d.colorMap ?? 'auto', (v) => set({ colorMap: v as ColorMapChoice }));
  const clipBy = vsSelect('clip-by', 'Clip outliers by', [{ value: 'mass', label: 'cumulative mass' }, { value: 'percentile', label: 'percentile' }], d.clip.by,
    (v) => set({ clip: { by: v as 'mass' | 'percentile', percent: Number(clip.input.value) } }));
  const clip = slider('clip-percent', 'Clipped share in percent', { min: 0, max: 20, step: 0.5, value: d.clip.percent }, pct,
    (v) => set({ clip: { by: clipBy.value as 'mass' | 'percentile', percent: v } }));
  const opacity = slider('opacity', 'Map opacity over the photo', { min: 0, max: 1, step: 0.05, value: d.opacity }, (v) => v.toFixed(2), (v) => set({ opacity: v }));
  const outline = slider('outline-top', 'Outlined share of the pixels in percent', { min: 1, max: 100, step: 1, value: d.outlineTop }, pct, (v) => set({ outlineTop: v }));
  const opacityRow = row('Opacity', 'opacity', opacity.input, opacity.value);
  const outlineRow = row('Outline top', 'outline-top', outline.input, outline.value);
  const element = h('div', { id: 'display', className: 'display-controls', role: 'group', 'aria-label': 'Display' },
    row('Mode', 'mode', mode), row('Sign', 'sign', sign, h('label', { htmlFor: 'reduction' }, 'Channels'), reduction),
    row('Clip', 'clip-by', clipBy, clip.input, clip.value), opacityRow, outlineRow, row('Colours', 'colormap', cmap), row('Zero at', 'offset', offset));
  const sync = (o: DisplayOptions) => {
    // Only the controls the mode uses are shown; the others keep their values for when it changes back.
    opacityRow.hidden = o.mode !== 'blend';
    outlineRow.hidden = o.mode !== 'outline';
    element.dataset.mode = o.mode;
  };
  sync(d);
  return { element, sync };
}

/** The Visualize panel's persisted state and how it is restored (no DOM: unit-tested). */
import { COLOR_MAPS, REDUCTIONS, type ColorMapName, type Reduction } from '../src/protocol/display';
import type { PanelState, PanelTarget } from '../src/protocol/messages';
import type { ParamValues, Region } from '../src/protocol/types';
import { COLOR_MAP_CHOICES, type ColorMapChoice } from './paint';

export interface Saved {
  method: string;
  /** Values the user set, per method (path parameters are the host's and never stored here). */
  params: Record<string, ParamValues>;
  opacity: number;
  cmap: ColorMapChoice;
  reduction: Reduction;
  target: PanelTarget;
  gridOn: boolean;
  gridMethods: string[];
  modelGridOn: boolean;
  /** Models with a spatial output: the dragged box the targets are restricted to. */
  region?: Region;
}

const DEFAULT_GRID = ['gradient', 'guided-backprop', 'lrp-epsilon', 'grad-cam'];

/**
 * The state for a fresh `init`: what VS Code kept for this webview (`prev`, untrusted shape) where it still fits
 * the panel, else defaults. A target given by the host (Use as Target) wins over the kept one.
 */
export function initialSaved(state: PanelState, prev: unknown): Saved {
  const p = (prev && typeof prev === 'object' ? prev : {}) as Partial<Saved>;
  const unavailable = new Set(state.unavailable.map((u) => u.method));
  const available = state.methods.filter((m) => !unavailable.has(m.id)).map((m) => m.id);
  const firstMethod = available.includes(state.defaultMethod) ? state.defaultMethod : available[0] ?? state.methods[0]?.id;
  const configured: ColorMapChoice = (COLOR_MAPS as readonly string[]).includes(state.colorMap) ? state.colorMap as ColorMapName : 'auto';
  return {
    method: p.method && state.methods.some((m) => m.id === p.method) ? p.method : firstMethod,
    params: p.params && typeof p.params === 'object' ? p.params : {},
    opacity: typeof p.opacity === 'number' ? p.opacity : 0.65,
    cmap: p.cmap && COLOR_MAP_CHOICES.includes(p.cmap) ? p.cmap : configured,
    reduction: p.reduction && REDUCTIONS.includes(p.reduction) ? p.reduction : 'sum',
    target: state.target.kind !== 'top' ? state.target : p.target ?? { kind: 'top' },
    gridOn: p.gridOn ?? false,
    gridMethods: Array.isArray(p.gridMethods) ? p.gridMethods : DEFAULT_GRID.filter((m) => available.includes(m)),
    modelGridOn: p.modelGridOn ?? false,
    region: state.mask ? p.region : undefined,
  };
}

/** What a run sends for a method: the values set for its declared, non-path parameters (blank ones left to the engine's defaults). */
export function paramsFor(saved: Saved, method: PanelState['methods'][number] | undefined): ParamValues {
  const given = saved.params[method?.id ?? ''] ?? {};
  const out: ParamValues = {};
  for (const p of method?.params ?? []) {
    if (p.kind === 'path') continue;
    const v = given[p.name];
    if (v !== undefined && v !== '' && !(typeof v === 'number' && Number.isNaN(v))) out[p.name] = v;
  }
  return out;
}

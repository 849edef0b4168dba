/** The Visualize panel's persisted state and how it is restored (no DOM: unit-tested). */
import { COLOR_MAPS, REDUCTIONS, type ColorMapName } from '../src/protocol/display';
import type { PanelState, PanelTarget } from '../src/protocol/messages';
import { DISPLAY_MODES, DISPLAY_OFFSETS, DISPLAY_SIGNS, defaultDisplay, type DisplayOptions } from '../src/protocol/render';
import type { MethodInfo, ParamSpec, ParamValues, Region } from '../src/protocol/types';
import { COLOR_MAP_CHOICES, type ColorMapChoice } from './paint';

/** The display choices a user made for one method ('auto' colours: the sign's own map). */
export type StoredDisplay = Partial<Omit<DisplayOptions, 'colorMap' | 'threshold'>> & { colorMap?: ColorMapChoice };

export interface Saved {
  method: string;
  /** Values the user set, per method (path parameters are the host's and never stored here). */
  params: Record<string, ParamValues>;
  /** Per method: the display choices over its defaultDisplay (only what the user changed). */
  display: Record<string, StoredDisplay>;
  target: PanelTarget;
  gridOn: boolean;
  gridMethods: string[];
  modelGridOn: boolean;
  /** Grids: one saturation value for all maps (true) or one per map. */
  sharedScale: boolean;
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
  return {
    method: p.method && state.methods.some((m) => m.id === p.method) ? p.method : firstMethod,
    params: p.params && typeof p.params === 'object' ? p.params : {},
    display: isObj(p.display) ? Object.fromEntries(Object.entries(p.display).map(([k, v]) => [k, sanitizeDisplay(v)])) : {},
    target: state.target.kind !== 'top' ? state.target : p.target ?? { kind: 'top' },
    gridOn: p.gridOn ?? false,
    gridMethods: Array.isArray(p.gridMethods) ? p.gridMethods : DEFAULT_GRID.filter((m) => available.includes(m)),
    modelGridOn: p.modelGridOn ?? false,
    sharedScale: p.sharedScale === true,
    region: state.mask ? p.region : undefined,
  };
}

/** What a run sends for a method: the values set for its declared, non-path parameters (blank ones left to the engine's defaults). */
export function paramsFor(saved: Saved, method: MethodInfo | undefined, lookup: (id: string) => MethodInfo | undefined = () => undefined): ParamValues {
  const given = saved.params[method?.id ?? ''] ?? {};
  const out: ParamValues = {};
  for (const p of method ? controlledParams(method, given, lookup) : []) {
    if (p.kind === 'path') continue;
    const v = given[p.name];
    if (v !== undefined && v !== '' && !(typeof v === 'number' && Number.isNaN(v))) out[p.name] = v;
  }
  return out;
}

/** The inner method a wrapper (SmoothGrad) runs with these values: the chosen one, else its parameter's default. */
export function innerMethod(method: MethodInfo, values: ParamValues, lookup: (id: string) => MethodInfo | undefined): MethodInfo | undefined {
  if (!method.wraps) return undefined;
  const spec = method.params.find((p) => p.name === method.wraps);
  const id = values[method.wraps] ?? (spec && 'default' in spec ? spec.default : undefined);
  return typeof id === 'string' ? lookup(id) : undefined;
}

/** A method's parameters, then a wrapper's inner-method parameters that it does not declare itself. */
export function controlledParams(method: MethodInfo, values: ParamValues, lookup: (id: string) => MethodInfo | undefined): ParamSpec[] {
  const own = new Set(method.params.map((p) => p.name));
  const inner = innerMethod(method, values, lookup)?.params.filter((p) => !own.has(p.name)) ?? [];
  return [...method.params, ...inner];
}

const isObj = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x);
const inRange = (x: unknown, lo: number, hi: number): x is number => typeof x === 'number' && Number.isFinite(x) && x >= lo && x <= hi;

/** The fields of a kept display choice that are still valid (webview state is untrusted in shape). */
export function sanitizeDisplay(x: unknown): StoredDisplay {
  if (!isObj(x)) return {};
  const out: StoredDisplay = {};
  if (DISPLAY_MODES.includes(x.mode as never)) out.mode = x.mode as StoredDisplay['mode'];
  if (DISPLAY_SIGNS.includes(x.sign as never)) out.sign = x.sign as StoredDisplay['sign'];
  if (REDUCTIONS.includes(x.reduction as never)) out.reduction = x.reduction as StoredDisplay['reduction'];
  if (isObj(x.clip) && (x.clip.by === 'mass' || x.clip.by === 'percentile') && inRange(x.clip.percent, 0, 50)) out.clip = { by: x.clip.by, percent: x.clip.percent };
  if (inRange(x.opacity, 0, 1)) out.opacity = x.opacity;
  if (inRange(x.outlineTop, 1, 100)) out.outlineTop = x.outlineTop;
  if (COLOR_MAP_CHOICES.includes(x.colorMap as never)) out.colorMap = x.colorMap as ColorMapChoice;
  if (DISPLAY_OFFSETS.includes(x.offset as never)) out.offset = x.offset as StoredDisplay['offset'];
  return out;
}

/**
 * A method's display: its defaultDisplay, the configured colour map (featurevis.colorMap, unless 'auto'), then
 * the user's choices for it.
 */
export function displayFor(saved: Pick<Saved, 'display'>, method: Pick<MethodInfo, 'id' | 'family' | 'output'>, configuredColorMap: string): DisplayOptions {
  const o: DisplayOptions = { ...defaultDisplay(method) };
  if ((COLOR_MAPS as readonly string[]).includes(configuredColorMap)) o.colorMap = configuredColorMap as ColorMapName;
  const { colorMap, ...rest } = saved.display[method.id] ?? {};
  Object.assign(o, rest);
  if (colorMap === 'auto') delete o.colorMap;
  else if (colorMap) o.colorMap = colorMap;
  return o;
}

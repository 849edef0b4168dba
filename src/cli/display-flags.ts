/**
 * The display flags shared by `explain --out *.png` and `figure`: each one overrides one field of a method's
 * default display (protocol/render.ts defaultDisplay).
 */
import { paramError } from '../engine/errors';
import { COLOR_MAPS, REDUCTIONS, type ColorMapName, type Reduction } from '../protocol/display';
import { DISPLAY_MODES, DISPLAY_OFFSETS, DISPLAY_SIGNS, type DisplayMode, type DisplayOffset, type DisplayOptions, type DisplaySign } from '../protocol/render';
import { num, str, type Args } from './args';

export const DISPLAY_FLAGS: readonly string[] = ['display', 'sign', 'clip-mass', 'clip-percentile', 'outline-top', 'reduce', 'opacity', 'colormap', 'offset'];

function choice<T extends string>(args: Args, name: string, choices: readonly T[]): T | undefined {
  const v = str(args, name);
  if (v === undefined) return undefined;
  if (!choices.includes(v as T)) throw paramError(name, `must be one of ${choices.join(', ')}, got '${v}'`);
  return v as T;
}

function inRange(args: Args, name: string, ok: (v: number) => boolean, range: string): number | undefined {
  const v = num(args, name);
  if (v !== undefined && !ok(v)) throw paramError(name, `must be in ${range}, got ${v}`);
  return v;
}

/** Whether any display flag was given (a figure then applies it to every method). */
export function hasDisplayFlags(args: Args): boolean {
  return DISPLAY_FLAGS.some((f) => args.flags.has(f));
}

/** Validates every display flag once (so a figure fails before running any method). */
export function checkDisplayFlags(args: Args): void {
  displayFromFlags(args, { mode: 'heatmap', sign: 'all', clip: { by: 'mass', percent: 2 }, reduction: 'sum', opacity: 0.6, outlineTop: 20 });
}

/** `base` (a method's default display) with the flags' overrides. */
export function displayFromFlags(args: Args, base: DisplayOptions): DisplayOptions {
  const mass = inRange(args, 'clip-mass', (v) => v >= 0 && v < 100, '[0, 100)');
  const percentile = inRange(args, 'clip-percentile', (v) => v >= 0 && v < 100, '[0, 100)');
  if (mass !== undefined && percentile !== undefined) {
    throw paramError('clip-mass', 'and --clip-percentile both set the clipping; give one of them');
  }
  const out: DisplayOptions = { ...base };
  const mode = choice<DisplayMode>(args, 'display', DISPLAY_MODES);
  if (mode) out.mode = mode;
  const sign = choice<DisplaySign>(args, 'sign', DISPLAY_SIGNS);
  if (sign) out.sign = sign;
  if (mass !== undefined) out.clip = { by: 'mass', percent: mass };
  if (percentile !== undefined) out.clip = { by: 'percentile', percent: percentile };
  const top = inRange(args, 'outline-top', (v) => v > 0 && v <= 100, '(0, 100]');
  if (top !== undefined) out.outlineTop = top;
  const opacity = inRange(args, 'opacity', (v) => v >= 0 && v <= 1, '[0, 1]');
  if (opacity !== undefined) out.opacity = opacity;
  const reduction = choice<Reduction>(args, 'reduce', REDUCTIONS);
  if (reduction) out.reduction = reduction;
  const colorMap = choice<ColorMapName>(args, 'colormap', COLOR_MAPS);
  if (colorMap) out.colorMap = colorMap;
  const offset = choice<DisplayOffset>(args, 'offset', DISPLAY_OFFSETS);
  if (offset) out.offset = offset;
  return out;
}

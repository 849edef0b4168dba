/**
 * Typed parameter schema builders. A method declares its parameters once with these; the declaration is the
 * plain ParamSpec the CLI flags and the webview controls are generated from, and its TypeScript type gives the
 * method typed, validated values (`ParamsOf<typeof schema>`). `parseParams` is the one validation and conversion
 * step: every bound is enforced there, so methods never re-check or re-default a value.
 */
import type { ParamSpec, ParamValues } from '../../protocol/types';
import { paramError } from '../errors';

/** A ParamSpec that also carries its name and value type for inference (the `_value` field is never set). */
export type Param<N extends string = string, T = unknown> = ParamSpec & { readonly name: N; readonly _value?: T };

export type ParamsOf<S extends readonly Param[]> = { readonly [P in S[number] as P['name']]: P extends Param<string, infer T> ? T : never };

interface Common { help?: string }

/** A real number; `live` ones are graph inputs, so a slider never recompiles. */
export function number<N extends string>(name: N, label: string,
  o: Common & { default: number; min?: number; max?: number; step?: number; log?: boolean; live?: boolean }): Param<N, number> {
  return { name, label, kind: 'number', ...o };
}

/** A number that may be left unset (shown as empty; the method derives a value, e.g. zB bounds from the normalisation). */
export function optionalNumber<N extends string>(name: N, label: string, o: Common & { live?: boolean }): Param<N, number | undefined> {
  return { name, label, kind: 'number', default: Number.NaN, ...o };
}

export function integer<N extends string>(name: N, label: string, o: Common & { default: number; min?: number; max?: number }): Param<N, number> {
  return { name, label, kind: 'integer', ...o };
}

export function choice<N extends string, C extends string>(name: N, label: string, choices: readonly C[],
  o: Common & { default: NoInfer<C> }): Param<N, C> {
  return { name, label, kind: 'choice', choices: [...choices], ...o };
}

export function boolean<N extends string>(name: N, label: string, o: Common & { default: boolean }): Param<N, boolean> {
  return { name, label, kind: 'boolean', ...o };
}

/** A tensor of the model (a layer's output); unset means the method's default layer unless `required`. */
export function layer<N extends string>(name: N, label: string, o: Common & { required: true }): Param<N, string>;
export function layer<N extends string>(name: N, label: string, o?: Common): Param<N, string | undefined>;
export function layer<N extends string>(name: N, label: string, o: Common & { required?: boolean } = {}): Param<N, string | undefined> {
  return { name, label, kind: 'layer', ...o };
}

/** Two values (per spatial axis); one value given means both. */
export function pair<N extends string>(name: N, label: string,
  o: Common & { default: [number, number]; min?: number; integer?: boolean }): Param<N, [number, number]> {
  return { name, label, kind: 'pair', ...o };
}

export function color<N extends string>(name: N, label: string, o: Common & { default: [number, number, number] }): Param<N, [number, number, number]> {
  return { name, label, kind: 'color', ...o };
}

export function text<N extends string>(name: N, label: string, o: Common & { default: string }): Param<N, string> {
  return { name, label, kind: 'text', ...o };
}

/** A file or folder; in VS Code the host picks it with a dialog. '' = none (refused when `required`). */
export function path<N extends string>(name: N, label: string, o: Common & { kind: 'file' | 'folder'; required?: boolean }): Param<N, string> {
  const { kind, ...rest } = o;
  return { name, label, kind: 'path', pathKind: kind, default: '', ...rest };
}

const MAX_TEXT = 4096;

function finite(name: string, v: unknown, what = 'a number'): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw paramError(name, `must be ${what}, got ${JSON.stringify(v)}`);
  return n;
}

function bounded(p: { name: string; min?: number; max?: number }, n: number): number {
  if (p.min !== undefined && n < p.min) throw paramError(p.name, `must be ≥ ${p.min}, got ${n}`);
  if (p.max !== undefined && n > p.max) throw paramError(p.name, `must be ≤ ${p.max}, got ${n}`);
  return n;
}

function numbers(name: string, v: unknown): number[] {
  if (typeof v === 'number') return [v];
  if (typeof v === 'string') return v.split(',').map((s) => finite(name, s.trim(), 'numbers separated by commas'));
  if (Array.isArray(v)) return v.map((x) => finite(name, x, 'a list of numbers'));
  throw paramError(name, `must be numbers separated by commas, got ${JSON.stringify(v)}`);
}

/** Validates and converts one value (the default when not given). */
export function parseValue(p: ParamSpec, given: unknown): unknown {
  const v = given === undefined || given === null ? p.default : given;
  switch (p.kind) {
    case 'number': {
      if (Number.isNaN(p.default) && (v === '' || (typeof v === 'number' && Number.isNaN(v)))) return undefined;
      return bounded(p, finite(p.name, v));
    }
    case 'integer': {
      const n = finite(p.name, v, 'a whole number');
      if (!Number.isInteger(n)) throw paramError(p.name, `must be a whole number, got ${n}`);
      return bounded(p, n);
    }
    case 'choice':
      if (typeof v !== 'string' || !p.choices.includes(v)) throw paramError(p.name, `must be one of ${p.choices.join(', ')}, got ${JSON.stringify(v)}`);
      return v;
    case 'boolean':
      if (v === 'true' || v === 'false') return v === 'true';
      if (typeof v !== 'boolean') throw paramError(p.name, `must be true or false, got ${JSON.stringify(v)}`);
      return v;
    case 'pair': {
      const vals = numbers(p.name, v);
      if (vals.length < 1 || vals.length > 2) throw paramError(p.name, `takes one or two values, got ${vals.length}`);
      const whole = p.integer === true;
      for (const n of vals) {
        if ((whole && !Number.isInteger(n)) || (p.min !== undefined && n < p.min)) {
          const what = whole ? (p.min === 1 ? 'positive whole numbers' : `whole numbers${p.min !== undefined ? ` ≥ ${p.min}` : ''}`) : `numbers ≥ ${p.min}`;
          throw paramError(p.name, `must be ${what}, got ${vals.join(',')}`);
        }
      }
      return vals.length === 1 ? [vals[0], vals[0]] : vals;
    }
    case 'color': {
      const vals = numbers(p.name, v);
      if (vals.length !== 3) throw paramError(p.name, `takes three values (r, g, b), got ${vals.length}`);
      return vals;
    }
    case 'layer':
    case 'path': {
      if (v !== undefined && typeof v !== 'string') throw paramError(p.name, `must be ${p.kind === 'layer' ? 'a tensor name' : 'a path'}, got ${JSON.stringify(v)}`);
      const s = v === undefined || v === '' ? undefined : v;
      if (s !== undefined && s.length > MAX_TEXT) throw paramError(p.name, 'is too long');
      if (s === undefined && p.required) {
        throw paramError(p.name, p.kind === 'layer' ? `is required: ${p.help ?? 'a tensor of the model'}` : `is required: ${p.help ?? `a ${p.pathKind}`}`);
      }
      return p.kind === 'path' ? s ?? '' : s;
    }
    case 'text':
      if (typeof v !== 'string') throw paramError(p.name, `must be text, got ${JSON.stringify(v)}`);
      if (v.length > MAX_TEXT) throw paramError(p.name, 'is too long');
      return v;
  }
}

/** The one validation step: rejects unknown names, fills defaults and enforces every declared bound. */
export function parseParams<S extends readonly Param[]>(schema: S, given: ParamValues, owner: string): ParamsOf<S> {
  const known = new Set(schema.map((p) => p.name));
  for (const k of Object.keys(given)) {
    if (!known.has(k) && given[k] !== undefined) {
      throw paramError(k, `is not a parameter of ${owner} (it takes: ${[...known].join(', ') || 'none'})`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const p of schema) out[p.name] = parseValue(p, given[p.name]);
  return out as ParamsOf<S>;
}

/** The values that change a compiled graph (everything but live parameters), as a stable cache-key part. */
export function graphKey(schema: readonly ParamSpec[], values: Readonly<Record<string, unknown>>): string {
  return schema.filter((p) => !(p.kind === 'number' && p.live)).map((p) => `${p.name}=${JSON.stringify(values[p.name] ?? null)}`).join('&');
}

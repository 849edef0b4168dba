/** Method parameters and targets from CLI flags (shared by explain and figure). */
import { invalidParams } from '../engine/errors';
import { parseTarget } from '../engine/targets';
import { readNpy } from '../engine/npy';
import type { LoadedModel } from '../engine/model';
import { innerMethodId, type Method } from '../engine/methods/types';
import type { ParamSpec, ParamValues, TargetSpec } from '../protocol/types';
import { str, type Args } from './args';

/**
 * The flags a method takes: its parameters, and for a wrapper (SmoothGrad) also those of the inner method its flag
 * names (`--of lrp-epsilon --eps 0.1`); the engine validates both against their own schemas.
 */
export function flagSchema(method: Method, lookup: (id: string) => Method, args: Args): ParamSpec[] {
  const inner = innerMethodId(method, method.wraps ? { [method.wraps]: str(args, method.wraps) } : {});
  if (!inner) return method.params;
  const own = new Set(method.params.map((p) => p.name));
  return [...method.params, ...lookup(inner).params.filter((p) => !own.has(p.name))];
}

/** Turns `--name value` flags into method parameters using the method's declared schema. */
export function paramsFromFlags(schema: ParamSpec[], args: Args): ParamValues {
  const out: ParamValues = {};
  for (const p of schema) {
    const raw = args.flags.get(p.name);
    if (raw === undefined) continue;
    if (p.kind === 'boolean') out[p.name] = raw === true || raw === 'true';
    else if (raw === true) throw invalidParams(`--${p.name} needs a value`);
    else if (p.kind === 'pair' || p.kind === 'color') {
      const parts = raw.split(',').map(Number);
      if (parts.some((v) => !Number.isFinite(v))) throw invalidParams(`--${p.name} must be numbers separated by commas, got '${raw}'`);
      out[p.name] = p.kind === 'pair' && parts.length === 1 ? [parts[0], parts[0]] : parts;
    } else if (p.kind === 'number' || p.kind === 'integer') {
      const v = Number(raw);
      if (!Number.isFinite(v)) throw invalidParams(`--${p.name} must be a number, got '${raw}'`);
      out[p.name] = v;
    } else out[p.name] = raw;
  }
  return out;
}

export function targetFrom(args: Args, model: LoadedModel): TargetSpec | undefined {
  const t = str(args, 'target');
  if (!t) return undefined;
  if (t.toLowerCase().endsWith('.npy')) {
    const [tensor, file] = t.includes('=') ? t.split('=') : [model.model.graph.outputs[0].name, t];
    return { kind: 'weights', tensor, weights: readNpy(file) };
  }
  return parseTarget(t, model.labels);
}

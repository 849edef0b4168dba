/** Validating a method's parameters, wrappers (SmoothGrad) included. */
import type { ParamValues } from '../protocol/types';
import { invalidParams, paramError } from './errors';
import { methods } from './methods';
import { parseParams } from './methods/params';
import { INNER_PARAMS, type Method, type ParamBag } from './methods/types';

/**
 * A method's parameters validated and converted (defaults filled, every bound enforced). A wrapper (`wraps`) takes
 * its own parameters plus its inner method's: those are checked against the inner schema and kept, as given, under
 * INNER_PARAMS for its run; a name neither schema declares is refused naming both.
 */
export function methodParams(m: Method, given: ParamValues): ParamBag {
  if (!m.wraps) return parseParams(m.params, given, `method '${m.id}'`);
  const own: ParamValues = {};
  const rest: ParamValues = {};
  for (const [k, v] of Object.entries(given)) (m.params.some((p) => p.name === k) ? own : rest)[k] = v;
  const params = parseParams(m.params, own, `method '${m.id}'`);
  const inner = methods.get(params[m.wraps] as string);
  if (!inner) throw invalidParams(`${m.id}: unknown inner method '${String(params[m.wraps])}'`);
  const names = [...m.params, ...inner.params].map((p) => p.name);
  for (const k of Object.keys(rest)) {
    if (rest[k] !== undefined && !inner.params.some((p) => p.name === k)) {
      throw paramError(k, `is not a parameter of method '${m.id}' nor of its inner method '${inner.id}' (they take: ${names.join(', ')})`);
    }
  }
  parseParams(inner.params, rest, `method '${inner.id}'`);
  return { ...params, [INNER_PARAMS]: rest };
}

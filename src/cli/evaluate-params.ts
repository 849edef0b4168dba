/**
 * The parameters of `featurevis evaluate`'s methods and metrics from its flags. `--name V` goes to every method and
 * every metric that declares `name` (`--steps 20` sets deletion's and insertion's steps); `--ID.name V` to that one
 * only. A name that a method and a metric both declare (integrated-gradients' and deletion's --steps) must be
 * scoped, so one flag never silently sets two different things.
 */
import type { Engine } from '../engine/engine';
import { methodParams } from '../engine/engine';
import { invalidParams } from '../engine/errors';
import { parseParams } from '../engine/methods/params';
import { metrics } from '../engine/metrics';
import type { ParamSpec, ParamValues } from '../protocol/types';
import { didYouMean, unknownFlag, type Args } from './args';
import { flagSchema, paramsFromFlags } from './method-flags';

/** The flags of the evaluate command itself (run and merge). */
export const EVALUATE_FLAGS = new Set(['model', 'images', 'methods', 'metrics', 'out', 'target', 'seed', 'resume', 'shard', 'shards', 'limit', 'threads', 'quiet', 'merge', 'plot', 'merged']);

export interface EvaluateParams {
  method: Map<string, ParamValues>;
  metric: Map<string, ParamValues>;
}

export function evaluateParams(engine: Engine, methodIds: string[], metricIds: string[], args: Args): EvaluateParams {
  // One id's view of the flags: the plain ones, overridden by its own `--ID.name`.
  const scoped = (id: string): Args => {
    const flags = new Map(args.flags);
    for (const [k, v] of args.flags) if (k.startsWith(`${id}.`)) flags.set(k.slice(id.length + 1), v);
    return { positionals: [], flags };
  };
  const methods = methodIds.map((id) => {
    const info = engine.methods().find((m) => m.id === engine.method(id).id)!;
    if (info.output === 'image') throw invalidParams(`'${id}' is a reconstruction (an image, not a map); evaluate scores attribution maps`);
    // A wrapper (smoothgrad --of X) also takes the parameters of the method it wraps.
    return { id, params: flagSchema(engine.method(id), (m) => engine.method(m), scoped(id)) };
  });
  const metricInfos = engine.metrics();
  const metricList = metricIds.map((id) => {
    const info = metricInfos.find((m) => m.id === id);
    if (!info) throw invalidParams(`unknown metric '${id}'; available: ${metricInfos.map((m) => m.id).join(', ')}`);
    return { id, params: info.params };
  });
  const owners = (name: string, of: { id: string; params: ParamSpec[] }[]) => of.filter((o) => o.params.some((p) => p.name === name)).map((o) => o.id);
  for (const k of args.flags.keys()) {
    if (EVALUATE_FLAGS.has(k)) continue;
    const dot = k.indexOf('.');
    if (dot > 0) {
      const [id, name] = [k.slice(0, dot), k.slice(dot + 1)];
      const owner = [...methods, ...metricList].find((o) => o.id === id);
      if (!owner) throw invalidParams(`--${k}: '${id}' is none of the methods or metrics of this run`);
      if (!owner.params.some((p) => p.name === name)) throw invalidParams(`--${k}: ${id} has no parameter '${name}' (it takes: ${owner.params.map((p) => p.name).join(', ') || 'none'})${didYouMean(name, owner.params.map((p) => p.name), `${id}.`)}`);
      continue;
    }
    const byMethod = owners(k, methods);
    const byMetric = owners(k, metricList);
    if (byMethod.length && byMetric.length) {
      throw invalidParams(`--${k} is a parameter of ${byMethod.join(', ')} and of ${byMetric.join(', ')}: write --${byMethod[0]}.${k} or --${byMetric[0]}.${k}`);
    }
    if (!byMethod.length && !byMetric.length) throw unknownFlag(k, `evaluate nor a parameter of ${[...methodIds, ...metricIds].join(', ')}`, [...EVALUATE_FLAGS, ...[...methods, ...metricList].flatMap((o) => o.params.map((p) => p.name))]);
  }
  const method = new Map(methods.map(({ id, params }) => {
    const p = paramsFromFlags(params, scoped(id));
    methodParams(engine.method(id), p);
    return [id, p] as const;
  }));
  const metric = new Map(metricList.map(({ id, params }) => {
    const p = paramsFromFlags(params, scoped(id));
    parseParams(metrics.get(id)!.params, p, `metric '${id}'`);
    return [id, p] as const;
  }));
  return { method, metric };
}

/**
 * A method is a declared parameter schema (./params.ts) plus either a plan for a compiled graph (../plans) or its
 * own run loop, and what it needs from the model. `compiledMethod` / `runMethod` infer the typed parameter values
 * from the schema, so a method reads `p.eps` as a number that parseParams already validated.
 */
import type { ExplainResult, MethodInfo, ParamValues } from '../../protocol/types';
import type { GraphPlan } from '../plans/types';
import type { MethodRunContext } from './run-context';
import type { Param, ParamsOf } from './params';

export interface PlanContext {
  /** The default feature-map tensor for CAM-style methods. */
  defaultLayer(): string;
}

/**
 * What a method needs of the model, so the engine can tell which methods apply without naming any:
 * `input-gradient` a backward rule for every node between input and target, `layer-gradient` only from its layer
 * (the default CAM layer) to the target, `cam-head` global average pooling → dense, `forward` only forward passes,
 * `layer-activation` forward passes plus a feature map with spatial axes to read (Score-CAM; no backward rule).
 */
export type Needs = 'input-gradient' | 'layer-gradient' | 'cam-head' | 'forward' | 'layer-activation';

/** Validated parameter values, by name (each method sees them typed through its definer). */
export type ParamBag = Readonly<Record<string, unknown>>;

interface MethodBase extends MethodInfo {
  /** Default 'input-gradient'. */
  needs?: Needs;
  /**
   * A method that runs another (SmoothGrad): the name of its choice parameter that names the inner method. Every
   * other given parameter is validated against the inner method's schema (engine.ts methodParams) and reaches `run`
   * as `innerParams(params)`, so e.g. `--of lrp-epsilon --eps 0.1` works; a name neither schema has is an error.
   */
  wraps?: string;
}

/** Where methodParams puts a wrapper's inner-method values: not a name a schema can declare (nor a CLI flag). */
export const INNER_PARAMS = '@inner';

/** The inner method a wrapper runs for these given (unvalidated) values: the named one, else the parameter's default. */
export function innerMethodId(m: Pick<MethodBase, 'wraps' | 'params'>, given: ParamValues): string | undefined {
  if (!m.wraps) return undefined;
  const v = given[m.wraps] ?? m.params.find((p) => p.name === m.wraps)?.default;
  return typeof v === 'string' ? v : undefined;
}

/** A wrapper's inner-method parameter values (as given; the inner method's own parse validates them again). */
export function innerParams(p: ParamBag): ParamValues {
  return (p[INNER_PARAMS] ?? {}) as ParamValues;
}

export interface CompiledMethod extends MethodBase {
  kind: 'compiled';
  plan(params: ParamBag, ctx: PlanContext): GraphPlan;
}

export interface RunMethod extends MethodBase {
  kind: 'run';
  run(ctx: MethodRunContext, params: ParamBag): Promise<ExplainResult>;
}

export type Method = CompiledMethod | RunMethod;

type Info<S extends readonly Param[]> = Omit<MethodInfo, 'params'> & { params: S; needs?: Needs; wraps?: S[number]['name'] };

export function compiledMethod<const S extends readonly Param[]>(
  m: Info<S> & { plan(params: ParamsOf<S>, ctx: PlanContext): GraphPlan }): CompiledMethod {
  const { plan, ...info } = m;
  return { needs: 'input-gradient', ...info, params: [...m.params], kind: 'compiled', plan: (p, ctx) => plan(p as ParamsOf<S>, ctx) };
}

export function runMethod<const S extends readonly Param[]>(
  m: Info<S> & { run(ctx: MethodRunContext, params: ParamsOf<S>): Promise<ExplainResult> }): RunMethod {
  const { run, ...info } = m;
  return { needs: 'input-gradient', ...info, params: [...m.params], kind: 'run', run: (ctx, p) => run(ctx, p as ParamsOf<S>) };
}

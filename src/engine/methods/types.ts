/**
 * A method is a declared parameter schema (./params.ts) plus either a plan for a compiled graph (../plans) or its
 * own run loop, and what it needs from the model. `compiledMethod` / `runMethod` infer the typed parameter values
 * from the schema, so a method reads `p.eps` as a number that parseParams already validated.
 */
import type { ExplainResult, MethodInfo } from '../../protocol/types';
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
 * (the default CAM layer) to the target, `cam-head` global average pooling → dense, `forward` only forward passes.
 */
export type Needs = 'input-gradient' | 'layer-gradient' | 'cam-head' | 'forward';

/** Validated parameter values, by name (each method sees them typed through its definer). */
export type ParamBag = Readonly<Record<string, unknown>>;

interface MethodBase extends MethodInfo {
  /** Default 'input-gradient'. */
  needs?: Needs;
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

type Info<S extends readonly Param[]> = Omit<MethodInfo, 'params'> & { params: S; needs?: Needs };

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

/** A method is a declared parameter schema plus either a compiled-graph plan or its own run loop. */
import type { MethodInfo, ParamValues } from '../../protocol/types';
import type { GraphPlan } from '../compile';
import type { MethodRunContext } from './run-context';

export interface PlanContext {
  /** The default feature-map tensor for CAM-style methods. */
  defaultLayer(): string;
}

export interface CompiledMethod extends MethodInfo {
  kind: 'compiled';
  /** The graph plan and a cache key covering everything that changes the graph (not live parameters). */
  plan(params: ParamValues, ctx: PlanContext): { plan: GraphPlan; key: string };
}

export interface RunMethod extends MethodInfo {
  kind: 'run';
  run(ctx: MethodRunContext, params: ParamValues): Promise<import('../../protocol/types').ExplainResult>;
}

export type Method = CompiledMethod | RunMethod;

/** Rule presets: a method of the deconvolution family is a choice of ReLU rule and linear rule per layer. */
import type { ParamSpec, ParamValues } from '../../protocol/types';
import type { ActivationRule, LinearRule, NodeRules } from '../backward/types';
import type { Node } from '../ir/graph';
import type { NodeFacts } from '../compile';
import type { CompiledMethod } from './types';

export const EPS_PARAM: ParamSpec = {
  name: 'eps', label: 'ε', kind: 'number', default: 0.25, min: 1e-9, max: 10, log: true, live: true,
  help: 'LRP-ε stabiliser: larger ε keeps only the strongest, most consistent contributions',
};
export const ALPHA_PARAM: ParamSpec = {
  name: 'alpha', label: 'α', kind: 'number', default: 1, min: 1, max: 4, step: 0.5, live: true,
  help: 'weight of positive contributions; β = α − 1 is the weight of negative ones',
};
export const BETA_PARAM: ParamSpec = {
  name: 'beta', label: 'β', kind: 'number', default: 0, min: 0, max: 3, step: 0.5, live: true,
  help: 'weight of negative contributions (α − β = 1 conserves relevance)',
};
export const LOW_PARAM: ParamSpec = {
  name: 'low', label: 'zB low', kind: 'number', default: Number.NaN, live: true,
  help: 'lowest input value for the zB rule, in model-input units (default: pixel 0 through the model normalisation)',
};
export const HIGH_PARAM: ParamSpec = {
  name: 'high', label: 'zB high', kind: 'number', default: Number.NaN, live: true,
  help: 'highest input value for the zB rule (default: pixel 1 through the model normalisation)',
};

export function uniform(activation: ActivationRule, linear: LinearRule) {
  return (): NodeRules => ({ activation, linear });
}

/** A method whose every layer uses the same pair of rules. */
export function preset(id: string, title: string, summary: string, activation: ActivationRule, linear: LinearRule,
  params: ParamSpec[] = [], timesInput = false): CompiledMethod {
  return {
    kind: 'compiled', id, title, summary, family: 'deconvolution', output: 'input', params,
    plan: (p: ParamValues) => {
      const betaIsZero = linear === 'alphabeta' && Number(p.beta ?? 0) === 0;
      return {
        plan: { kind: 'backward', rulesFor: uniform(activation, linear), betaIsZero, timesInput, lrp: linear !== 'gradient' },
        key: `${id}|b0=${betaIsZero}`,
      };
    },
  };
}

export type RulesFor = (node: Node, facts: NodeFacts) => NodeRules;

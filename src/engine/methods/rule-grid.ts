/** Any ReLU rule with any linear rule: the paper's grid of deconvolution-family methods, for comparison. */
import type { ParamValues } from '../../protocol/types';
import { ACTIVATION_RULES, LINEAR_RULES, type ActivationRule, type LinearRule } from '../backward/types';
import { invalidParams } from '../errors';
import { ALPHA_PARAM, BETA_PARAM, EPS_PARAM, HIGH_PARAM, LOW_PARAM, uniform } from './presets';
import type { CompiledMethod } from './types';

export const method: CompiledMethod = {
  kind: 'compiled',
  id: 'rule-grid',
  title: 'Rule grid (ReLU rule × linear rule)',
  family: 'deconvolution',
  output: 'input',
  summary: 'Combine any ReLU rule (gradient, deconvnet, guided, pass) with any linear rule (gradient, ε, z⁺, αβ, zB).',
  params: [
    { name: 'relu', label: 'ReLU rule', kind: 'choice', default: 'guided', choices: [...ACTIVATION_RULES] },
    { name: 'linear', label: 'Linear rule', kind: 'choice', default: 'epsilon', choices: [...LINEAR_RULES] },
    EPS_PARAM, ALPHA_PARAM, BETA_PARAM, LOW_PARAM, HIGH_PARAM,
  ],
  plan(p: ParamValues) {
    const relu = String(p.relu ?? 'guided') as ActivationRule;
    const linear = String(p.linear ?? 'epsilon') as LinearRule;
    if (!ACTIVATION_RULES.includes(relu)) throw invalidParams(`unknown ReLU rule '${relu}' (use ${ACTIVATION_RULES.join(', ')})`);
    if (!LINEAR_RULES.includes(linear)) throw invalidParams(`unknown linear rule '${linear}' (use ${LINEAR_RULES.join(', ')})`);
    if (relu === 'pass' && linear === 'gradient') throw invalidParams('the pass ReLU rule needs an LRP linear rule');
    const betaIsZero = Number(p.beta ?? 0) === 0;
    return { plan: { kind: 'backward', rulesFor: uniform(relu, linear), betaIsZero, timesInput: false, lrp: linear !== 'gradient' }, key: `grid|${relu}|${linear}|b0=${betaIsZero}` };
  },
};

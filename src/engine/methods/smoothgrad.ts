/**
 * SmoothGrad (Smilkov et al. 2017) over any compiled method whose map has the input's shape (`of`, default the
 * gradient): the mean of its maps over noisy copies x + N(0, σ²), σ = noise × (max − min of the item); `square`
 * gives SmoothGrad², `vargrad` the variance (VarGrad). The inner method's own parameters are accepted too
 * (`wraps: 'of'`, see types.ts): `--of lrp-epsilon --eps 0.1`.
 */
import type { ExplainResult } from '../../protocol/types';
import { exportsNamed, modulesIn } from '../discover';
import { gaussianNoise, smoothGrad } from '../attribution/smoothgrad';
import { paramError } from '../errors';
import { boolean, choice, integer, number, type ParamsOf } from './params';
import { innerParams, runMethod, type Method } from './types';
import type { MethodRunContext } from './run-context';

// The methods it can wrap: its sibling method files (not itself, not the registry) that compile an input-shaped map.
const siblings = modulesIn(__dirname, /^(?!index\.|smoothgrad\.)[a-z][\w-]*\.ts$/);
const INNER = [...exportsNamed<Method>(siblings, 'method'), ...exportsNamed<Method[]>(siblings, 'methods').flat()]
  .filter((m) => m.kind === 'compiled' && m.output === 'input').map((m) => m.id).sort();

const PARAMS = [
  choice('of', 'Method', INNER, { default: 'gradient', help: 'the method whose maps are averaged (its parameters are accepted too)' }),
  integer('samples', 'Samples', { default: 50, min: 1, max: 1024, help: 'noisy copies averaged (Smilkov et al.: little changes beyond 50)' }),
  number('noise', 'Noise level', { default: 0.15, min: 0, max: 1, step: 0.01, help: 'σ as a fraction of the input item\'s range (max − min); Smilkov et al. suggest 0.1–0.2' }),
  boolean('square', 'Square (SmoothGrad²)', { default: false, help: 'average the squared maps' }),
  boolean('vargrad', 'VarGrad', { default: false, help: 'the variance of the maps instead of their mean' }),
  integer('seed', 'Seed', { default: 0, min: 0, max: 4294967295, help: 'seed of the noise' }),
] as const;

async function run(ctx: MethodRunContext, p: ParamsOf<typeof PARAMS>): Promise<ExplainResult> {
  if (p.square && p.vargrad) throw paramError('vargrad', 'cannot be combined with square (VarGrad is the variance of the plain maps)');
  const N = ctx.input.dims[0];
  const { source, sigmas } = gaussianNoise(ctx.input.data, N, p.noise, p.seed);
  const r = await smoothGrad(ctx, {
    of: p.of, innerParams: innerParams(p), samples: p.samples, mode: p.vargrad ? 'vargrad' : p.square ? 'square' : 'mean',
  }, source);
  return { ...r, extras: { ...r.extras, noise_sigma: sigmas } };
}

export const method = runMethod({
  id: 'smoothgrad',
  title: 'SmoothGrad',
  family: 'deconvolution',
  output: 'input',
  summary: 'Smilkov et al. 2017: another method\'s map averaged over noisy copies of the input (SmoothGrad², VarGrad).',
  params: PARAMS,
  wraps: 'of',
  run,
});

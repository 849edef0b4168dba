/**
 * Activation maximisation (Erhan et al. 2009; Simonyan et al. 2013): gradient ascent on the input for a target
 * (class logit, channel, unit or any weighting), x* = argmax T(x) − λα·Nα(x) − λTV·N_TV(x), with the regularisers
 * normalised per pixel (Nα = Σ|x|^α / (H·W), N_TV = TV_β / (H·W), summed over batch items). One ORT run per step gives
 * both T and ∂T/∂x (the compiled gradient graph also outputs the target tensor). Optional aids: Fourier 1/f and
 * decorrelated-colour parameterisation (param.ts), random affine jitter/scale/rotate (transforms.ts). Several units
 * run as one batch (`units`): item i maximises unit units[i] of the target tensor.
 */
import type { ExplainResult, TargetSpec, TensorData } from '../../protocol/types';
import { boolean, choice, integer, number, text, type ParamsOf } from '../methods/params';
import type { MethodRunContext } from '../methods/run-context';
import { invalidParams, paramError } from '../errors';
import { pixelBounds } from '../preprocess';
import { optimiseImage } from './optimise-loop';
import { makeParam } from './param';
import { regularize, type RegSettings } from './regularizers';
import { Rng } from './rng';
import { perItemDot, resolveFor, Runner } from './session';
import { applyAffine, applyAffineAdjoint, defaultTransforms, IDENTITY, randomAffine, type Affine } from './transforms';
import { AidedRunner } from './aided-runner';

/** The regulariser parameters, with the defaults activation maximisation uses (inversion overrides them). */
export function regParams(d: { lpWeight: number; lpAlpha: number; tvWeight: number; tvBeta: number }) {
  return [
    number('lp-weight', 'Lp weight λα', { default: d.lpWeight, min: 0, help: 'weight of the α-norm prior (per pixel)' }),
    number('lp-alpha', 'α', { default: d.lpAlpha, min: 1, max: 10, help: 'exponent of the α-norm (2: L2; Mahendran & Vedaldi use 6)' }),
    number('tv-weight', 'TV weight λTV', { default: d.tvWeight, min: 0, help: 'weight of the total-variation prior (per pixel)' }),
    number('tv-beta', 'β', { default: d.tvBeta, min: 1, max: 4, help: 'exponent of total variation (1: edges kept; 2: smooth)' }),
  ] as const;
}

/** The optimiser parameters, with the given step count and learning rate as defaults. */
export function optParams(d: { steps: number; lr: number }) {
  return [
    integer('steps', 'Steps', { default: d.steps, min: 1, max: 100000 }),
    number('lr', 'Learning rate', { default: d.lr, min: 0, log: true }),
    choice('optimizer', 'Optimiser', ['adam', 'sgd'], { default: 'adam', help: 'Adam or SGD with momentum 0.9' }),
    integer('seed', 'Seed', { default: 0, min: 0 }),
    integer('every', 'Preview every', { default: 16, min: 1, help: 'stream the current image every N steps' }),
  ] as const;
}

export const AM_PARAMS = [
  ...optParams({ steps: 256, lr: 0.05 }),
  ...regParams({ lpWeight: 0, lpAlpha: 2, tvWeight: 0, tvBeta: 2 }),
  boolean('fourier', 'Fourier (1/f)', { default: false, help: 'optimise a 1/f-scaled spectrum instead of pixels' }),
  boolean('decorrelate', 'Decorrelated colour', { default: false, help: 'ImageNet colour decorrelation + sigmoid to the pixel range' }),
  boolean('transforms', 'Jitter/scale/rotate', { default: false, help: 'random jitter, scale 0.9–1.1, rotation ±10° each step' }),
  text('units', 'Units', { default: '', help: 'several channels (or classes) in one batched run, e.g. 0-7 or 1,5,9: item i maximises unit i' }),
  choice('init', 'Start from', ['noise', 'input'], { default: 'noise', help: 'small noise around grey, or the given input (pixel parameterisation)' }),
] as const;

export type OptParams = ParamsOf<ReturnType<typeof optParams>>;
export type RegParams = ParamsOf<ReturnType<typeof regParams>>;
export type AmParams = ParamsOf<typeof AM_PARAMS>;

export function regSettings(p: RegParams): RegSettings {
  return { lpWeight: p['lp-weight'], lpAlpha: p['lp-alpha'], tvWeight: p['tv-weight'], tvBeta: p['tv-beta'] };
}

/** "0-3,7" → [0, 1, 2, 3, 7]. */
export function parseUnits(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw paramError('units', `must be indices or ranges like 0-7,12; got '${part}'`);
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    if (b < a) throw invalidParams(`unit range ${part} is empty`);
    if (b - a > 4096) throw invalidParams(`unit range ${part} is too large`);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

function withUnit(spec: TargetSpec, unit: number): TargetSpec {
  if (spec.kind === 'unit') return { ...spec, channel: unit };
  if (spec.kind === 'class' || spec.kind === 'label') return { kind: 'class', index: unit };
  throw invalidParams('units need a class or unit:TENSOR:C target');
}

/** The batched weighting: item b weighted by target spec b. */
async function batchedTarget(ctx: MethodRunContext, dims: number[], specs: TargetSpec[]): Promise<{ tensor: string; weights: Float32Array; description: string }> {
  const first = await resolveFor(ctx.model, dims, specs[0]);
  if (specs.length === 1) return { tensor: first.tensor, weights: first.weights.data, description: first.description };
  const per = first.weights.data.length / dims[0];
  const weights = new Float32Array(first.weights.data.length);
  const names: string[] = [];
  for (let b = 0; b < specs.length; b++) {
    const r = b === 0 ? first : await resolveFor(ctx.model, dims, specs[b]);
    weights.set(r.weights.data.subarray(b * per, (b + 1) * per), b * per);
    names.push(r.description);
  }
  return { tensor: first.tensor, weights, description: names.join('; ') };
}

/**
 * `inGraph` (default: where it applies): the aids and priors run inside the compiled graph (aided-graph.ts), one
 * onnxruntime run per step. The TS path stays for plain pixels without transforms (nothing to move) and for
 * models read channels-last; `inGraph: false` forces it (the equality tests).
 */
export async function activationMax(ctx: MethodRunContext, p: AmParams, opts: { inGraph?: boolean } = {}): Promise<ExplainResult> {
  const t0 = performance.now();
  const units = parseUnits(p.units);
  const [, c, ...spatial] = ctx.input.dims;
  if (spatial.length !== 2) throw invalidParams(`activation maximisation needs an image model (N, C, H, W); the input has shape [${ctx.input.dims.join(', ')}]`);
  const n = units.length || ctx.input.dims[0];
  const dims = [n, c, ...spatial];
  const specs = units.length ? units.map((u) => withUnit(ctx.target, u)) : [ctx.target];
  const target = await batchedTarget(ctx, dims, specs);
  const pre = ctx.model.preprocessing();
  const { fourier, decorrelate } = p;
  const reg = regSettings(p);
  const inGraph = opts.inGraph !== false && (fourier || decorrelate || p.transforms) && pre.layout === 'NCHW';
  const spec = { dims, fourier, decorrelate, transforms: p.transforms, mean: pre.mean, std: pre.std, reg };
  const graph = inGraph ? await AidedRunner.open(ctx.model, spec, target.tensor) : undefined;
  const runner = graph ? undefined : await Runner.open(ctx.model, 'gradient', target.tensor, dims);
  const compileMs = performance.now() - t0;

  const rng = new Rng(p.seed);
  const init = p.init === 'input' ? (ctx.input.dims[0] === n ? ctx.input.data : undefined) : undefined;
  if (p.init === 'input' && (fourier || decorrelate)) throw paramError('init', "'input' works with the pixel parameterisation only (turn fourier and decorrelate off)");
  if (p.init === 'input' && !init) throw paramError('init', `'input' needs an input batch of ${n} items`);
  const param = makeParam({ dims, pre, fourier, decorrelate, rng, initStd: 0.01, bounds: pixelBounds(pre), init });
  const tf = p.transforms ? defaultTransforms(Math.max(spatial[0], spatial[1])) : undefined;
  const targetTrace: number[] = [];
  let initial: number[] | undefined;
  const runStart = performance.now();
  const lossGrad = new Float32Array(dims.reduce((a, b) => a * b, 1));
  const trace = (tv: Float32Array, r: number) => {
    const values = perItemDot(tv, target.weights, n);
    initial ??= values;
    const tsum = values.reduce((a, b) => a + b, 0);
    targetTrace.push(tsum / n);
    return tsum - r;
  };
  const maps = (): Affine[] | undefined => (tf ? Array.from({ length: n }, () => randomAffine(tf, rng)) : undefined);
  const objective = await optimiseImage({
    param, dims, steps: p.steps, every: p.every, optimizer: p.optimizer, lr: () => p.lr, token: ctx.token, progress: (q) => ctx.progress(q),
  }, graph ? {
    // ∂L/∂p straight from the graph: the parameterisation, resampling and priors are in it.
    evaluateParams: async (params) => {
      const { grad, target: tv, reg: r } = await graph.run(params, target.weights, maps());
      return { value: trace(tv, r), grad };
    },
    describe: (step) => `step ${step + 1}/${p.steps}: target ${targetTrace[step].toPrecision(4)}`,
  } : {
    evaluate: async (x) => {
      const m = maps();
      const xt = m ? applyAffine(x, dims, m) : x;
      const { grad, target: tv } = await runner!.run(xt, target.weights);
      const gx = m ? applyAffineAdjoint(grad, dims, m) : grad;
      for (let i = 0; i < gx.length; i++) lossGrad[i] = -gx[i];
      return { value: trace(tv, regularize(x, dims, reg, lossGrad)), grad: lossGrad };
    },
    describe: (step) => `step ${step + 1}/${p.steps}: target ${targetTrace[step].toPrecision(4)}`,
  });
  const final = Float32Array.from(param.image());
  // The graph path evaluates the final parameters in the graph (identity taps: the image itself).
  const { target: tv } = graph ? await graph.run(param.params, target.weights, tf && Array.from({ length: n }, () => IDENTITY)) : await runner!.run(final, target.weights);
  const targetValue = perItemDot(tv, target.weights, n);
  const relevance: TensorData = { data: final, dims };
  return {
    method: 'activation-max', relevance, targetValue, targetTensor: target.tensor,
    timings: { compileMs, runMs: performance.now() - runStart },
    extras: {
      target: target.description, objective, target_trace: targetTrace, initial_target: initial ?? [],
      ...(units.length ? { units } : {}),
    },
  };
}

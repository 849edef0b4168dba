/**
 * The step loop shared by activation maximisation, representation inversion and the generative inverter's
 * training: a cancellation check before every step, the trace of each step's objective, and progress at a cadence.
 * `optimiseImage` adds what the two image methods share on top: the image parameterisation, the optimiser step
 * and a partial result (the current image) with every report.
 */
import type { Progress } from '../../protocol/types';
import type { CancellationToken } from '../methods/run-context';
import { cancelled } from '../errors';
import { makeOptimizer } from './optim';
import type { ImageParam } from './param';

export interface StepLoop {
  steps: number;
  token?: CancellationToken;
  /** Step i; its objective value, or undefined when it had nothing to do (an empty batch: neither traced nor reported). */
  step(i: number): Promise<number | undefined>;
  /** Report after every `every`-th step and after the last one (default 1: every step). */
  every?: number;
  report?(i: number, value: number, etaMs: number): void;
}

/** Runs the steps in order; returns the trace of their values. */
export async function runSteps(loop: StepLoop): Promise<number[]> {
  const { steps, every = 1 } = loop;
  const trace: number[] = [];
  const start = performance.now();
  for (let i = 0; i < steps; i++) {
    if (loop.token?.isCancellationRequested) throw cancelled();
    const value = await loop.step(i);
    if (value === undefined) continue;
    trace.push(value);
    if (loop.report && ((i + 1) % every === 0 || i === steps - 1)) {
      const elapsed = performance.now() - start;
      loop.report(i, value, (elapsed / (i + 1)) * (steps - i - 1));
    }
  }
  return trace;
}

/** What an image method supplies: its objective and the gradient the optimiser descends, at image x. */
export interface ImageObjective {
  /** `grad` is ∂loss/∂x for the x given (the loss minimised; activation maximisation passes −∂T/∂x). */
  evaluate?(x: Float32Array, step: number): Promise<{ value: number; grad: Float32Array }>;
  /** Instead of evaluate: `grad` is ∂loss/∂p at the parameters (a compiled graph that contains the parameterisation). */
  evaluateParams?(params: Float32Array, step: number): Promise<{ value: number; grad: Float32Array }>;
  /** The progress line after this step. */
  describe(step: number): string;
}

export interface ImageLoop {
  param: ImageParam;
  dims: number[];
  steps: number;
  every: number;
  optimizer: string;
  /** The learning rate at this step (a schedule, or a constant). */
  lr(step: number): number;
  token: CancellationToken;
  progress(p: Progress): void;
}

/** Optimises the parameterised image; returns the objective trace. The final image is `o.param.image()`. */
export function optimiseImage(o: ImageLoop, objective: ImageObjective): Promise<number[]> {
  const opt = makeOptimizer(o.optimizer, o.param.params.length);
  return runSteps({
    steps: o.steps, every: o.every, token: o.token,
    step: async (i) => {
      let r: { value: number; grad: Float32Array };
      if (objective.evaluateParams) r = await objective.evaluateParams(o.param.params, i);
      else if (objective.evaluate) {
        const atX = await objective.evaluate(o.param.image(), i);
        r = { value: atX.value, grad: o.param.backward(atX.grad) };
      } else throw new Error('internal: an image objective needs evaluate or evaluateParams');
      const { value, grad } = r;
      opt.step(o.param.params, grad, o.lr(i));
      o.param.project();
      return value;
    },
    report: (i, _value, etaMs) => o.progress({
      fraction: (i + 1) / o.steps, etaMs, message: objective.describe(i),
      partial: { data: Float32Array.from(o.param.image()), dims: o.dims },
    }),
  });
}

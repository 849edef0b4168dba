/**
 * The aided activation-max step as one compiled graph: the image parameterisation of param.ts (Fourier 1/f
 * spectrum → IDFT, decorrelated colour, sigmoid, normalisation), the random affine resampling of transforms.ts and
 * the Lp/TV priors of regularizers.ts are emitted as ONNX nodes in front of the model, so one onnxruntime run gives
 * the loss L = λ·R(x) − Σ w·T(A(x(p))) and ∂L/∂p, the gradient the optimiser descends (no FFT or adjoint in TS).
 *  - IDFT: y = Re(E_H Z E_W)/√(HW) with Z = s ⊙ (a + i·b), E = C + iS (cos/sin of 2πkm/N) as two MatMuls with
 *    constant matrices: [Ur; Ui] = [[C_H, −S_H], [S_H, C_H]]·[a'; b'], then y = [Ur | Ui]·[C_W; −S_W].
 *  - Colour: a 1×1 Conv with COLOR_SQRT; sigmoid; (rgb − mean)/std as Sub and Div.
 *  - Resampling: GatherElements of the four bilinear taps per pixel (indices and weights fed each step,
 *    sampleTaps), times the weights, summed; its backward is ScatterElements(add), the adjoint of applyAffine.
 *  - Priors in the graph, on x (before resampling), as extra loss terms: the one backward pass then carries their
 *    gradient through the parameterisation too, where pulling a gradient computed in TS back would need a second
 *    run or the TS FFT. Same definitions as regularize() (ε, replicated border, per-pixel weights); float32 sums.
 */
import { attr } from '../ir/graph';
import type { GraphBuilder } from '../ir/builder';
import { ConstTensor, DataType } from '../ir/tensor';
import { emitBackward } from '../backward/backward';
import { defaultRegistry } from '../backward/registry';
import { dependsOnInput } from '../plans/backward';
import { tensorInput } from '../graph-inputs';
import { invalidParams } from '../errors';
import type { GraphPlan } from '../plans/types';
import { COLOR_SQRT, spectrumScale } from './param';
import type { RegSettings } from './regularizers';

export const AM_PARAM = 'fv_am_param';
export const AM_TAP_INDEX = 'fv_am_tap_index';
export const AM_TAP_WEIGHT = 'fv_am_tap_weight';
export const AM_REG = 'fv_am_reg';

export interface AidedSpec {
  /** The model input shape, NCHW. */
  dims: number[];
  fourier: boolean;
  decorrelate: boolean;
  transforms: boolean;
  mean: number[];
  std: number[];
  reg: RegSettings;
}

/** Whether the priors add anything (the graph then outputs their value as AM_REG). */
export function hasReg(r: RegSettings): boolean {
  return r.lpWeight > 0 || r.tvWeight > 0;
}

const f32 = (b: GraphBuilder, dims: number[], data: ArrayLike<number>, hint: string) => b.constant(ConstTensor.float32(dims, Float32Array.from(data)), hint);

/** cos and sin of 2π·k·m/N, N × N, in float64 before rounding. */
function trig(n: number): { cos: Float64Array; sin: Float64Array } {
  const cos = new Float64Array(n * n);
  const sin = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    for (let m = 0; m < n; m++) {
      const t = (2 * Math.PI * ((k * m) % n)) / n;
      cos[k * n + m] = Math.cos(t);
      sin[k * n + m] = Math.sin(t);
    }
  }
  return { cos, sin };
}

/** Re(IDFT₂(s ⊙ (a + i·b))) of p [2, N, C, H, W] → y [N, C, H, W] (param.ts's unitary inverse transform). */
function inverseDft(b: GraphBuilder, p: string, [n, c, h, w]: number[]): string {
  const s = spectrumScale(h, w);
  const k = 1 / Math.sqrt(h * w);
  const scaled = b.setShape(b.mul(p, f32(b, [h, w], Array.from(s, (v) => v * k), 'am_spectrum_scale')), [2, n, c, h, w]);
  const stacked = b.reshape(b.setShape(b.op('Transpose', [scaled], { perm: attr.ints([1, 2, 0, 3, 4]) }), [n, c, 2, h, w]), [n, c, 2 * h, w]);
  const th = trig(h);
  const left = new Float32Array(4 * h * h);
  for (let r = 0; r < h; r++) {
    for (let q = 0; q < h; q++) {
      const cs = th.cos[r * h + q];
      const sn = th.sin[r * h + q];
      left[r * 2 * h + q] = cs;
      left[r * 2 * h + h + q] = -sn;
      left[(h + r) * 2 * h + q] = sn;
      left[(h + r) * 2 * h + h + q] = cs;
    }
  }
  const u = b.setShape(b.op('MatMul', [f32(b, [2 * h, 2 * h], left, 'am_idft_rows'), stacked]), [n, c, 2 * h, w]);
  const split = b.reshape(u, [n, c, 2, h, w]);
  const side = b.reshape(b.setShape(b.op('Transpose', [split], { perm: attr.ints([0, 1, 3, 2, 4]) }), [n, c, h, 2, w]), [n, c, h, 2 * w]);
  const tw = trig(w);
  const right = new Float32Array(2 * w * w);
  for (let q = 0; q < w; q++) {
    for (let x = 0; x < w; x++) {
      right[q * w + x] = tw.cos[q * w + x];
      right[(w + q) * w + x] = -tw.sin[q * w + x];
    }
  }
  return b.setShape(b.op('MatMul', [side, f32(b, [2 * w, w], right, 'am_idft_cols')]), [n, c, h, w]);
}

/** Bilinear resampling of x [N, C, H, W] by the fed taps (sampleTaps). */
function resample(b: GraphBuilder, x: string, [n, c, h, w]: number[]): string {
  const plane = h * w;
  // The index comes per channel from the runner: onnxruntime's Expand of it took 9 % of the whole step (profiled).
  const index = b.addInput(AM_TAP_INDEX, [n, c, 4 * plane], DataType.INT32);
  const weight = b.addInput(AM_TAP_WEIGHT, [n, 1, plane, 4]);
  const taps = b.setShape(b.op('GatherElements', [b.reshape(x, [n, c, plane]), index], { axis: attr.i(2) }), [n, c, 4 * plane]);
  const weighted = b.setShape(b.mul(b.reshape(taps, [n, c, plane, 4]), weight), [n, c, plane, 4]);
  const summed = b.setShape(b.reduce('ReduceSum', weighted, [3], false), [n, c, plane]);
  return b.reshape(summed, [n, c, h, w]);
}

const sumAll = (b: GraphBuilder, t: string, rank: number) => b.setShape(b.reduce('ReduceSum', t, Array.from({ length: rank }, (_, i) => i), false), []);

/** x[..., from:to] along `axis` of a rank-4 tensor. */
function slice(b: GraphBuilder, x: string, axis: number, from: number, to: number): string {
  const shape = b.shapeOf(x).map((d, i) => (i === axis ? to - from : d));
  return b.setShape(b.op('Slice', [x, b.ints([from]), b.ints([to]), b.ints([axis])]), shape);
}

/** The neighbour difference along `axis`, 0 where it would leave the image (replicated border), shaped like x. */
function forwardDiff(b: GraphBuilder, x: string, axis: number): string {
  const shape = b.shapeOf(x);
  const len = shape[axis];
  const d = b.setShape(b.sub(slice(b, x, axis, 1, len), slice(b, x, axis, 0, len - 1)), shape.map((v, i) => (i === axis ? len - 1 : v)));
  const pads = new Array<number>(8).fill(0);
  pads[4 + axis] = 1;
  return b.setShape(b.op('Pad', [d, b.ints(pads, 'pads')], { mode: attr.s('constant') }), shape);
}

/** λα·Σ|x|^α/(HW) + λTV·TV_β(x)/(HW), as regularize() with B = V = 1. */
function priors(b: GraphBuilder, x: string, r: RegSettings, shape: number[]): string {
  const [, , h, w] = shape;
  const terms: string[] = [];
  if (r.lpWeight > 0) {
    const a = b.setShape(b.op('Abs', [x]), shape);
    const p = r.lpAlpha === 1 ? a : b.setShape(b.op('Pow', [a, b.scalar(r.lpAlpha)]), shape);
    terms.push(b.setShape(b.mul(sumAll(b, p, 4), b.scalar(r.lpWeight / (h * w))), []));
  }
  if (r.tvWeight > 0) {
    const dx = forwardDiff(b, x, 3);
    const dy = forwardDiff(b, x, 2);
    const sq = (d: string) => b.setShape(b.mul(d, d), shape);
    const g = b.setShape(b.add(b.setShape(b.add(sq(dx), sq(dy)), shape), b.scalar(1e-8)), shape);
    const t = r.tvBeta === 2 ? g : b.setShape(b.op('Pow', [g, b.scalar(r.tvBeta / 2)]), shape);
    terms.push(b.setShape(b.mul(sumAll(b, t, 4), b.scalar(r.tvWeight / (h * w))), []));
  }
  return b.setShape(terms.length === 1 ? terms[0] : b.add(terms[0], terms[1]), []);
}

export function aidedPlan(s: AidedSpec): GraphPlan {
  const { dims, fourier, decorrelate, transforms, mean, std, reg } = s;
  if (dims.length !== 4) throw invalidParams('the aided step in the graph needs an NCHW image input');
  const [n, c, h, w] = dims;
  const aided = fourier || decorrelate;
  return {
    key: `am-aided|f=${fourier}|d=${decorrelate}|t=${transforms}|mean=${mean.join(',')}|std=${std.join(',')}|reg=${reg.lpWeight},${reg.lpAlpha},${reg.tvWeight},${reg.tvBeta}`,
    foldBatchNorm: false,
    keep: [],
    check(graph, _shapes, input, target) {
      if (!dependsOnInput(graph, input, target)) throw invalidParams(`the target tensor '${target}' does not depend on the input`);
    },
    emit(ctx) {
      const { b, graph: g, input, target } = ctx;
      const start = g.nodes.length;
      // The parameters replace the model input, which the prefix now computes.
      g.inputs = g.inputs.filter((i) => i.name !== input);
      const param = b.addInput(AM_PARAM, fourier ? [2, n, c, h, w] : [n, c, h, w]);
      let x = param;
      if (aided) {
        let y = fourier ? inverseDft(b, param, dims) : param;
        if (decorrelate && c === 3) {
          const m = COLOR_SQRT.flat();
          y = b.setShape(b.op('Conv', [y, f32(b, [3, 3, 1, 1], m, 'am_colour')]), dims);
        }
        const rgb = b.setShape(b.op('Sigmoid', [y]), dims);
        const centred = b.setShape(b.sub(rgb, f32(b, [1, c, 1, 1], mean.slice(0, c), 'am_mean')), dims);
        x = b.setShape(b.div(centred, f32(b, [1, c, 1, 1], std.slice(0, c), 'am_std')), dims);
      }
      const seen = transforms ? resample(b, x, dims) : x;
      g.nodes.push({ name: 'fv/am_model_input', op: 'Identity', domain: '', inputs: [seen], outputs: [input], attrs: new Map() });
      // Topological order: the prefix runs before the model's nodes.
      g.nodes.unshift(...g.nodes.splice(start));
      // The raw weighting (activation-max always gives one): ctx.weight's top-class term reads T, not to be differentiated.
      const weight = ctx.inputs.declare(tensorInput('fv_target_weight', b.shapeOf(target), (v) => v.weights));
      const objective = sumAll(b, b.setShape(b.mul(weight, target), b.shapeOf(target)), b.shapeOf(target).length);
      let loss = b.setShape(b.neg(objective), []);
      if (hasReg(reg)) {
        const r = priors(b, x, reg, dims);
        g.nodes.push({ name: 'fv/am_reg_out', op: 'Identity', domain: '', inputs: [r], outputs: [AM_REG], attrs: new Map() });
        b.addOutput(AM_REG);
        loss = b.setShape(b.sub(r, objective), []);
      }
      const grads = emitBackward(b, {
        target: loss, seed: b.scalar(1), wrt: [param],
        rulesFor: () => ({ activation: 'gradient', linear: 'gradient' }),
        params: { betaIsZero: false, live: (name) => ctx.inputs.live(name), bound: () => { throw invalidParams('no zB box in a gradient'); } },
        registry: defaultRegistry,
      });
      return grads.get(param)!;
    },
  };
}

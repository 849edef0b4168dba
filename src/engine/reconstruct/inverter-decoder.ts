/**
 * The generative inverter's up-convolutional decoder, for features (C_f, h, w) and an input (C, H, W): 3×3 conv
 * (width w₀) + leaky ReLU(0.2); then s = ⌈log₂ max(H/h, W/w)⌉ stages of [×2 sub-pixel up-convolution + leaky ReLU,
 * 3×3 conv + leaky ReLU], halving the width each stage (w₀ = clamp(C_f, 32, 128), never below 16); a linear 3×3 conv
 * to C channels; a centre crop to H×W when 2^s overshoots. Rank-2 features (N, C_f) first go through a dense layer
 * to a 4×4 map.
 *
 * Written as plain TF.js ops over its own variables. The ×2 up-convolution is a 3×3 convolution to 4× the channels
 * followed by a depth-to-space shuffle (a sub-pixel convolution, equivalent to a stride-2 transposed convolution).
 * The pure-JS backend's Conv2DBackpropFilter is a naive loop (≈ 95 % of a training step, 30× slower than
 * filterGrad3x3 below), whereas MatMul, slices, pads, reshapes and transposes have fast gradients.
 */
import type * as TF from '@tensorflow/tfjs';
import { invalidInput, invalidParams } from '../errors';
import { Rng } from './rng';
import type { Tf } from './tf';

export interface DecoderSpec {
  featureDims: number[];
  inputDims: number[];
  /** Width at the feature resolution, then one per up stage. */
  widths: number[];
}

export function decoderSpec(featureDims: number[], inputDims: number[]): DecoderSpec {
  const [, , H, W] = inputDims;
  let h: number;
  let w: number;
  let width: number;
  if (featureDims.length === 4) {
    [h, w] = [featureDims[2], featureDims[3]];
    width = Math.min(128, Math.max(32, featureDims[1]));
  } else if (featureDims.length === 2) {
    [h, w] = [4, 4];
    width = 128;
  } else {
    throw invalidParams(`the layer's tensor has shape [${featureDims.join(', ')}]; the inverter needs a feature map (N, C, H, W) or a vector (N, C)`);
  }
  const stages = Math.max(0, Math.ceil(Math.log2(Math.max(H / h, W / w)) - 1e-9));
  const widths = [width];
  for (let s = 0; s < stages; s++) widths.push(Math.max(16, Math.floor(widths[widths.length - 1] / 2)));
  return { featureDims, inputDims, widths };
}

/** One layer's shape: a 3×3 convolution (weights 3, 3, cin, cout) or a dense layer (cin, cout); bias (cout). */
interface LayerShape { name: string; kind: 'conv' | 'dense'; cin: number; cout: number; std: number }

interface Layout<L> { input: L; stages: { up: L; conv: L }[]; out: L }

const he = (fanIn: number) => Math.sqrt(2 / fanIn);

function layout(spec: DecoderSpec): Layout<LayerShape> {
  const { featureDims, inputDims, widths } = spec;
  const conv = (name: string, cin: number, cout: number, std = he(9 * cin)): LayerShape => ({ name, kind: 'conv', cin, cout, std });
  const last = widths[widths.length - 1];
  return {
    input: featureDims.length === 4 ? conv('in', featureDims[1], widths[0])
      : { name: 'in', kind: 'dense', cin: featureDims[1], cout: 16 * widths[0], std: he(featureDims[1]) },
    stages: widths.slice(1).map((width, i) => ({ up: conv(`up${i + 1}`, widths[i], 4 * width), conv: conv(`conv${i + 1}`, width, width) })),
    out: conv('out', last, inputDims[1], Math.sqrt(1 / (9 * last))),
  };
}

function inOrder<L>(l: Layout<L>): L[] {
  return [l.input, ...l.stages.flatMap((s) => [s.up, s.conv]), l.out];
}

export interface DecoderParam { name: string; shape: number[]; std: number }

/** Every weight and bias, in the order of the weights file (and of the random draws of a fresh decoder). */
export function paramList(spec: DecoderSpec): DecoderParam[] {
  return inOrder(layout(spec)).flatMap((l) => [
    { name: `${l.name}.w`, shape: l.kind === 'conv' ? [3, 3, l.cin, l.cout] : [l.cin, l.cout], std: l.std },
    { name: `${l.name}.b`, shape: [l.cout], std: 0 },
  ]);
}

interface Conv { kind: 'conv'; w: TF.Variable<TF.Rank.R4>; b: TF.Variable<TF.Rank.R1> }
interface Dense { kind: 'dense'; w: TF.Variable<TF.Rank.R2>; b: TF.Variable<TF.Rank.R1> }
interface Layers { input: Conv | Dense; stages: { up: Conv; conv: Conv }[]; out: Conv }

/** A 4-D tensor (what the custom gradient is called and saved with), checked. */
function rank4(t: TF.Tensor | TF.GradSaveFunc | undefined): TF.Tensor4D {
  if (t === undefined || typeof t === 'function' || t.rank !== 4) throw new Error('the 3×3 convolution takes 4-D tensors');
  return t as TF.Tensor4D;
}

/** Tensor data known to be float32 (every tensor here is), checked. */
export function float32(data: unknown): Float32Array {
  if (!(data instanceof Float32Array)) throw new Error('expected float32 data');
  return data;
}

export class Decoder {
  /** Every variable, in the order of paramList. */
  readonly vars: TF.Variable[];

  private constructor(readonly spec: DecoderSpec, private readonly layers: Layers, private readonly tf: Tf) {
    this.vars = inOrder<Conv | Dense>(layers).flatMap((l) => [l.w, l.b]);
    this.conv3 = this.makeConv3();
  }

  /** Fresh (seeded He-normal weights, zero biases) or from `values` (the weights file). */
  static create(tf: Tf, spec: DecoderSpec, seed: number, values?: Float32Array): Decoder {
    const rng = new Rng(seed * 104729 + 17);
    let offset = 0;
    const take = (n: number, std: number): Float32Array => {
      let data: Float32Array;
      if (values) {
        if (offset + n > values.length) throw invalidInput('the decoder weights file is shorter than its layout');
        data = values.slice(offset, offset + n);
      } else data = Float32Array.from({ length: n }, () => std * rng.normal());
      offset += n;
      return data;
    };
    const bias = (l: LayerShape) => tf.variable(tf.tensor1d(take(l.cout, 0)), true);
    const conv = (l: LayerShape): Conv => {
      const w = tf.variable(tf.tensor4d(take(9 * l.cin * l.cout, l.std), [3, 3, l.cin, l.cout]), true);
      return { kind: 'conv', w, b: bias(l) };
    };
    const dense = (l: LayerShape): Dense => {
      const w = tf.variable(tf.tensor2d(take(l.cin * l.cout, l.std), [l.cin, l.cout]), true);
      return { kind: 'dense', w, b: bias(l) };
    };
    const shapes = layout(spec);
    const layers: Layers = {
      input: shapes.input.kind === 'conv' ? conv(shapes.input) : dense(shapes.input),
      stages: shapes.stages.map((s) => ({ up: conv(s.up), conv: conv(s.conv) })),
      out: conv(shapes.out),
    };
    if (values && offset !== values.length) throw invalidInput('the decoder weights file does not match its layout');
    return new Decoder(spec, layers, tf);
  }

  /**
   * 3×3 'same' convolution: forward and input gradient by TF.js's kernels; the filter gradient by filterGrad3x3
   * (the pure-JS backend's Conv2DBackpropFilter is a naive loop that took ≈ 95 % of a training step).
   */
  private readonly conv3: (x: TF.Tensor, w: TF.Tensor4D) => TF.Tensor4D;

  private makeConv3(): (x: TF.Tensor, w: TF.Tensor4D) => TF.Tensor4D {
    const { tf } = this;
    return tf.customGrad((...args: (TF.Tensor | TF.GradSaveFunc)[]) => {
      const [x, w, save] = [rank4(args[0]), rank4(args[1]), args[2]];
      if (typeof save !== 'function') throw new Error('customGrad passes a save function last');
      save([x, w]);
      return {
        value: tf.conv2d(x, w, 1, 'same'),
        gradFunc: (dy: TF.Tensor4D, saved: TF.Tensor[]) => {
          const [xs, ws] = [rank4(saved[0]), rank4(saved[1])];
          const dx = tf.conv2dTranspose(dy, ws, xs.shape, 1, 'same');
          const dw = tf.tensor4d(filterGrad3x3(float32(xs.dataSync()), float32(dy.dataSync()), xs.shape, ws.shape[3]), ws.shape);
          return [dx, dw];
        },
      };
    });
  }

  /** Features NHWC (or N×C) → images NHWC. */
  apply(f: TF.Tensor): TF.Tensor4D {
    const { tf } = this;
    const { input, stages, out } = this.layers;
    const { inputDims, widths } = this.spec;
    const lrelu = (t: TF.Tensor4D) => tf.leakyRelu(t, 0.2);
    const conv = (t: TF.Tensor, l: Conv) => tf.add<TF.Tensor4D>(this.conv3(t, l.w), l.b);
    let x = input.kind === 'conv' ? lrelu(conv(f, input))
      : lrelu(tf.reshape<TF.Rank.R4>(tf.add(tf.matMul(f, input.w), input.b), [f.shape[0], 4, 4, widths[0]]));
    stages.forEach((stage, i) => {
      const width = widths[i + 1];
      const u = lrelu(conv(x, stage.up));
      const [n, h, w] = u.shape;
      // Depth to space: channel (a, b, c) of pixel (y, x) → pixel (2y + a, 2x + b), channel c.
      x = tf.reshape<TF.Rank.R4>(tf.transpose(tf.reshape(u, [n, h, w, 2, 2, width]), [0, 1, 3, 2, 4, 5]), [n, 2 * h, 2 * w, width]);
      x = lrelu(conv(x, stage.conv));
    });
    x = conv(x, out);
    const [, oh, ow] = x.shape;
    const [, , H, W] = inputDims;
    if (oh !== H || ow !== W) x = tf.slice(x, [0, Math.floor((oh - H) / 2), Math.floor((ow - W) / 2), 0], [-1, H, W, -1]);
    return x;
  }

  /** All weights, flat, in the order of paramList. */
  values(): Float32Array {
    const parts = this.vars.map((v) => float32(v.dataSync()));
    const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  dispose(): void {
    for (const v of this.vars) v.dispose();
  }
}

/** ∂L/∂W for a 3×3 'same' convolution: x (N, H, W, Ci) NHWC, dy (N, H, W, Co) → (3, 3, Ci, Co). */
export function filterGrad3x3(x: Float32Array, dy: Float32Array, shape: number[], co: number): Float32Array {
  const [n, h, w, ci] = shape;
  const out = new Float32Array(9 * ci * co);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        const g = ((b * h + y) * w + xx) * co;
        for (let ky = 0; ky < 3; ky++) {
          const sy = y + ky - 1;
          if (sy < 0 || sy >= h) continue;
          for (let kx = 0; kx < 3; kx++) {
            const sx = xx + kx - 1;
            if (sx < 0 || sx >= w) continue;
            const xo = ((b * h + sy) * w + sx) * ci;
            const wo = (ky * 3 + kx) * ci * co;
            for (let c = 0; c < ci; c++) {
              const v = x[xo + c];
              if (v === 0) continue;
              const r = wo + c * co;
              for (let o = 0; o < co; o++) out[r + o] += v * dy[g + o];
            }
          }
        }
      }
    }
  }
  return out;
}

/** NCHW (batch k) data → an NHWC tensor (N×C for rank-2 features). */
export function toNhwc(tf: Tf, data: Float32Array, dims: number[]): TF.Tensor {
  if (dims.length === 2) return tf.tensor2d(data, [dims[0], dims[1]]);
  return tf.tidy(() => tf.tensor4d(data, [dims[0], dims[1], dims[2], dims[3]]).transpose([0, 2, 3, 1]));
}

/**
 * Image tensor layouts: channels-first (N, C, H, W) as PyTorch exports, channels-last (N, H, W, C) as Keras /
 * TensorFlow models converted by tf2onnx. Everything the engine shows or windows over is channels-first; these
 * helpers move between the model's layout and that view.
 */
import type { TensorData } from '../protocol/types';
import { getInts, type Graph, type Node } from './ir/graph';

export type Layout = 'NCHW' | 'NHWC';

const CHANNEL_COUNTS = new Set([1, 3, 4]);
const known = (d: unknown): d is number => typeof d === 'number' && d > 0;

/**
 * The layout of a model input: rank 4 with a last dimension of 1, 3 or 4 and a dimension 1 that is not (or is
 * symbolic) reads as NHWC; anything else as NCHW (which also covers 1-D signals and [N, 3, H, 3] ties).
 */
export function detectLayout(dims: readonly (number | string | null)[]): Layout {
  if (dims.length !== 4 || !known(dims[3]) || !CHANNEL_COUNTS.has(dims[3])) return 'NCHW';
  return known(dims[1]) && CHANNEL_COUNTS.has(dims[1]) ? 'NCHW' : 'NHWC';
}

export function parseLayout(v: unknown): Layout | undefined {
  const s = typeof v === 'string' ? v.trim().toUpperCase() : undefined;
  return s === 'NCHW' || s === 'NHWC' ? s : undefined;
}

/** Whether a tensor of these dims is stored channels-last (only rank-4 tensors are). */
export function isChannelsLast(dims: readonly unknown[], layout: Layout): boolean {
  return layout === 'NHWC' && dims.length === 4;
}

/** The (N, C, H, W) view of a shape given in `layout`. */
export function channelsFirstDims(dims: number[], layout: Layout): number[] {
  return isChannelsLast(dims, layout) ? [dims[0], dims[3], dims[1], dims[2]] : [...dims];
}

/** The shape of the per-channel zB bounds: the channel axis kept, every other axis broadcast. */
export function boundShape(dims: number[], layout: Layout): number[] {
  if (dims.length < 3) return [1];
  if (isChannelsLast(dims, layout)) return [1, 1, 1, dims[3]];
  return [1, dims[1], ...dims.slice(2).map(() => 1)];
}

const WEIGHTED = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

/**
 * The axis carrying the input's channels at each tensor reached from the input without a weighted layer: moved by
 * Transposes (tf2onnx puts one before each Conv), kept by ops that keep rank and that axis' size (scaling, Pad).
 */
function channelAxes(g: Graph, shapes: Map<string, number[]>, input: string, axis: number): Map<string, number> {
  const axes = new Map([[input, axis]]);
  for (const n of g.nodes) {
    const from = n.inputs.find((i) => axes.has(i));
    if (from === undefined || WEIGHTED.has(n.op) || !n.outputs[0]) continue;
    const a = axes.get(from)!;
    const inShape = shapes.get(from);
    if (n.op === 'Transpose') {
      const perm = getInts(n, 'perm') ?? (inShape ? inShape.map((_, i) => inShape.length - 1 - i) : undefined);
      if (perm) axes.set(n.outputs[0], perm.indexOf(a));
      continue;
    }
    const outShape = shapes.get(n.outputs[0]);
    if (inShape && outShape && outShape.length === inShape.length && outShape[a] === inShape[a]) axes.set(n.outputs[0], a);
  }
  return axes;
}

/**
 * The zB bounds' shape at the inputs of the first weighted layers, when it differs from boundShape(input): an NHWC
 * model's Conv reads a transposed (N, C, H, W) tensor, so its per-channel bounds lie along axis 1 there.
 */
export function firstLayerBoundShape(g: Graph, shapes: Map<string, number[]>, input: string, layout: Layout, first: Iterable<Node>): number[] | undefined {
  const inShape = shapes.get(input);
  if (!inShape || inShape.length < 3) return undefined;
  const axis = isChannelsLast(inShape, layout) ? 3 : 1;
  const axes = channelAxes(g, shapes, input, axis);
  const found = new Set<string>();
  for (const n of first) {
    const x = n.inputs.find((i) => axes.has(i));
    const xShape = x === undefined ? undefined : shapes.get(x);
    if (!xShape) return undefined;
    found.add(xShape.map((_, i) => (i === axes.get(x!) ? inShape[axis] : 1)).join());
  }
  if (found.size !== 1) return undefined;
  const shape = [...found][0].split(',').map(Number);
  return shape.join() === boundShape(inShape, layout).join() ? undefined : shape;
}

/** (N, H, W, C) data → (N, C, H, W) data. */
export function nhwcToNchw(data: Float32Array, [n, h, w, c]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  const plane = h * w;
  for (let b = 0; b < n; b++) {
    const base = b * plane * c;
    for (let i = 0; i < plane; i++) for (let ch = 0; ch < c; ch++) out[base + ch * plane + i] = data[base + i * c + ch];
  }
  return out;
}

/** (N, C, H, W) data → (N, H, W, C) data (`dims` are the channels-first ones); into `out` when given. */
export function nchwToNhwc(data: Float32Array, [n, c, h, w]: number[], out = new Float32Array(n * c * h * w)): Float32Array {
  const plane = h * w;
  for (let b = 0; b < n; b++) {
    const base = b * plane * c;
    for (let i = 0; i < plane; i++) for (let ch = 0; ch < c; ch++) out[base + i * c + ch] = data[base + ch * plane + i];
  }
  return out;
}

/** A tensor in the model's layout as (N, C, H, W) (unchanged when it already is). */
export function toChannelsFirst(t: TensorData, layout: Layout): TensorData {
  if (!isChannelsLast(t.dims, layout)) return t;
  return { data: nhwcToNchw(t.data, t.dims), dims: channelsFirstDims(t.dims, layout) };
}

/**
 * Relevance for display, (N, C, H, W): input-shaped relevance of an NHWC model (backward methods) is transposed;
 * maps already channels-first (CAM, occlusion: (N, 1, H, W)) pass through.
 */
export function relevanceForDisplay(rel: TensorData, inputDims: number[], layout: Layout): TensorData {
  const inputShaped = rel.dims.length === inputDims.length && rel.dims.every((d, i) => d === inputDims[i]);
  return inputShaped ? toChannelsFirst(rel, layout) : rel;
}

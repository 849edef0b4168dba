/**
 * Finite-difference checks (see gradcheck.ts) of the structural, resampling and transposed-convolution rules, and
 * of the window ops on 1-D (audio) and 3-D (video) inputs.
 */
import { attr } from '../../src/engine/ir/graph';
import { ConstTensor } from '../../src/engine/ir/tensor';
import { c, ci, gradcheckCases, type GradCase } from './gradcheck';

const X4 = [2, 4, 7, 7];
const f32 = (v: number[]) => ConstTensor.float32([v.length], v);
const int = (dims: number[], v: number[]) => ConstTensor.int64(dims, v);
const BIG = Number.MAX_SAFE_INTEGER;
/** Distinct values 0.05 apart in random order: no max or arg-max is probed across a near-tie. */
const distinct = (n: number, r: () => number) => {
  const v = Float32Array.from({ length: n }, (_, i) => (i - n / 2) * 0.05);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [v[i], v[j]] = [v[j], v[i]];
  }
  return v;
};
/** A Resize case on a [1, 2, h, w] input: `inputs` after 'x' are roi, scales, sizes ('' when absent). */
const resize = (name: string, attrs: GradCase['attrs'], rest: { roi?: number[]; scales?: number[]; sizes?: number[] },
  inputShape = [1, 2, 5, 6], opset = 19): GradCase => {
  const consts: Record<string, ConstTensor> = {};
  if (rest.roi) consts.roi = f32(rest.roi);
  if (rest.scales) consts.scales = f32(rest.scales);
  if (rest.sizes) consts.sizes = ci(rest.sizes);
  const inputs = ['x', rest.roi ? 'roi' : '', rest.scales ? 'scales' : '', rest.sizes ? 'sizes' : ''];
  while (inputs[inputs.length - 1] === '') inputs.pop();
  return { name: `Resize ${name}`, op: 'Resize', inputs, attrs, consts, inputShape, opset };
};
const up = [1, 1, 2, 1.5];
const down = [1, 1, 0.6, 0.5];

const cases: GradCase[] = [
  // Gather family
  { name: 'Gather list with repeats and negatives', op: 'Gather', inputs: ['x', 'i'], consts: { i: ci([2, -1, 0, 2]) }, attrs: { axis: attr.i(1) }, inputShape: X4 },
  { name: 'Gather scalar index (class token x[:, 0])', op: 'Gather', inputs: ['x', 'i'], consts: { i: int([], [0]) }, attrs: { axis: attr.i(1) }, inputShape: [2, 5, 6] },
  { name: 'Gather 2-D indices, last axis', op: 'Gather', inputs: ['x', 'i'], consts: { i: int([2, 2], [1, 3, 6, 1]) }, attrs: { axis: attr.i(-1) }, inputShape: X4 },
  {
    name: 'Gather with computed indices (ArgMax)', op: 'Gather', inputs: ['x', 't0'], attrs: { axis: attr.i(1) }, inputShape: [3, 5], kinks: true, input: distinct,
    before: [{ op: 'ArgMax', inputs: ['x'], attrs: { axis: attr.i(1), keepdims: attr.i(0) } }],
  },
  { name: 'GatherElements constant, repeats and negatives', op: 'GatherElements', inputs: ['x', 'i'], consts: { i: int([2, 3], [0, -1, 0, 2, 2, -3]) }, attrs: { axis: attr.i(1) }, inputShape: [2, 3] },
  {
    name: 'GatherElements with ArgMax indices (max over an axis)', op: 'GatherElements', inputs: ['x', 't0'], attrs: { axis: attr.i(1) }, inputShape: [2, 4, 3], kinks: true, input: distinct,
    before: [{ op: 'ArgMax', inputs: ['x'], attrs: { axis: attr.i(1), keepdims: attr.i(1) } }],
  },
  { name: 'GatherND', op: 'GatherND', inputs: ['x', 'i'], consts: { i: int([3, 2], [0, 1, 2, -1, 0, 1]) }, inputShape: [3, 4, 5] },
  { name: 'GatherND batch_dims 1', op: 'GatherND', inputs: ['x', 'i'], consts: { i: int([2, 3, 1], [3, 0, 3, 1, 1, -2]) }, attrs: { batch_dims: attr.i(1) }, inputShape: [2, 4, 5] },
  // Slice with steps
  { name: 'Slice steps 2 and 3', op: 'Slice', inputs: ['x', 'st', 'en', 'ax', 'sp'], consts: { st: ci([0, 1]), en: ci([7, 100]), ax: ci([2, 3]), sp: ci([2, 3]) }, inputShape: X4 },
  { name: 'Slice reversal x[..., ::-1]', op: 'Slice', inputs: ['x', 'st', 'en', 'ax', 'sp'], consts: { st: ci([-1]), en: ci([-BIG]), ax: ci([-1]), sp: ci([-1]) }, inputShape: X4 },
  { name: 'Slice step −2 from out of range', op: 'Slice', inputs: ['x', 'st', 'en', 'ax', 'sp'], consts: { st: ci([100, 3]), en: ci([0, -100]), ax: ci([2, 1]), sp: ci([-2, -1]) }, inputShape: X4 },
  // Pad modes
  { name: 'Pad reflect', op: 'Pad', inputs: ['x', 'p'], attrs: { mode: attr.s('reflect') }, consts: { p: ci([0, 0, 2, 3, 0, 0, 3, 1]) }, inputShape: X4 },
  { name: 'Pad edge', op: 'Pad', inputs: ['x', 'p'], attrs: { mode: attr.s('edge') }, consts: { p: ci([0, 0, 4, 0, 0, 0, 1, 9]) }, inputShape: X4 },
  { name: 'Pad wrap', op: 'Pad', inputs: ['x', 'p'], attrs: { mode: attr.s('wrap') }, consts: { p: ci([0, 0, 2, 5, 0, 0, 1, 9]) }, inputShape: X4, opset: 19 },
  { name: 'Pad constant, negative pads', op: 'Pad', inputs: ['x', 'p', 'v'], consts: { p: ci([0, -1, 2, -2, 0, 1, -3, 2]), v: ConstTensor.float32([], [0.5]) }, inputShape: X4 },
  { name: 'Pad reflect, negative pads', op: 'Pad', inputs: ['x', 'p'], attrs: { mode: attr.s('reflect') }, consts: { p: ci([0, 0, -2, 3, 0, 0, 2, -1]) }, inputShape: X4 },
  { name: 'Pad wrap with crop, axes input', op: 'Pad', inputs: ['x', 'p', '', 'a'], attrs: { mode: attr.s('wrap') }, consts: { p: ci([-3, 2, 4, -1]), a: ci([-1, 2]) }, inputShape: X4, opset: 19 },
  // Pixel shuffles
  { name: 'DepthToSpace DCR', op: 'DepthToSpace', inputs: ['x'], attrs: { blocksize: attr.i(2) }, inputShape: [2, 8, 3, 4] },
  { name: 'DepthToSpace CRD', op: 'DepthToSpace', inputs: ['x'], attrs: { blocksize: attr.i(2), mode: attr.s('CRD') }, inputShape: [2, 8, 3, 4] },
  { name: 'SpaceToDepth', op: 'SpaceToDepth', inputs: ['x'], attrs: { blocksize: attr.i(2) }, inputShape: [2, 3, 4, 6] },
  // Resize: every mode and coordinate transformation
  resize('nearest half_pixel round_prefer_floor', { mode: attr.s('nearest') }, { scales: up }),
  resize('nearest asymmetric floor ×2 (YOLO/FPN)', { mode: attr.s('nearest'), coordinate_transformation_mode: attr.s('asymmetric'), nearest_mode: attr.s('floor') }, { scales: [1, 1, 2, 2] }),
  resize('nearest round_prefer_ceil, downsampling', { mode: attr.s('nearest'), nearest_mode: attr.s('round_prefer_ceil') }, { scales: down }),
  resize('nearest ceil align_corners', { mode: attr.s('nearest'), nearest_mode: attr.s('ceil'), coordinate_transformation_mode: attr.s('align_corners') }, { sizes: [1, 2, 8, 4] }),
  resize('nearest tf_crop_and_resize extrapolation', { mode: attr.s('nearest'), coordinate_transformation_mode: attr.s('tf_crop_and_resize'), extrapolation_value: attr.f(-2) },
    { roi: [0, 0, -0.2, 0.1, 1, 1, 0.9, 1.3], sizes: [1, 2, 6, 7] }),
  resize('linear half_pixel', { mode: attr.s('linear') }, { scales: up }),
  resize('linear align_corners, sizes', { mode: attr.s('linear'), coordinate_transformation_mode: attr.s('align_corners') }, { sizes: [1, 2, 9, 4] }),
  resize('linear pytorch_half_pixel, one output row', { mode: attr.s('linear'), coordinate_transformation_mode: attr.s('pytorch_half_pixel') }, { sizes: [1, 2, 1, 9] }),
  resize('linear asymmetric, downsampling', { mode: attr.s('linear'), coordinate_transformation_mode: attr.s('asymmetric') }, { scales: down }),
  resize('linear half_pixel_symmetric', { mode: attr.s('linear'), coordinate_transformation_mode: attr.s('half_pixel_symmetric') }, { scales: [1, 1, 1.7, 0.7] }),
  resize('linear tf_crop_and_resize', { mode: attr.s('linear'), coordinate_transformation_mode: attr.s('tf_crop_and_resize'), extrapolation_value: attr.f(0.3) },
    { roi: [0, 0, 0.1, -0.3, 1, 1, 0.8, 1.2], sizes: [1, 2, 7, 8] }),
  resize('linear trilinear (5-D)', { mode: attr.s('linear') }, { scales: [1, 1, 1.5, 2, 0.5] }, [1, 2, 3, 4, 6]),
  resize('cubic half_pixel', { mode: attr.s('cubic') }, { scales: up }),
  resize('cubic A=−0.5 exclude_outside', { mode: attr.s('cubic'), cubic_coeff_a: attr.f(-0.5), exclude_outside: attr.i(1) }, { scales: [1, 1, 1.5, 2.5] }),
  resize('cubic align_corners', { mode: attr.s('cubic'), coordinate_transformation_mode: attr.s('align_corners') }, { sizes: [1, 2, 8, 11] }),
  resize('cubic pytorch_half_pixel', { mode: attr.s('cubic'), coordinate_transformation_mode: attr.s('pytorch_half_pixel') }, { scales: [1, 1, 1.6, 1.5] }),
  resize('cubic tf_crop_and_resize', { mode: attr.s('cubic'), coordinate_transformation_mode: attr.s('tf_crop_and_resize'), extrapolation_value: attr.f(1) },
    { roi: [0, 0, -0.1, 0.2, 1, 1, 1.1, 0.9], sizes: [1, 2, 9, 8] }),
  resize('linear antialias, downsampling', { mode: attr.s('linear'), antialias: attr.i(1) }, { scales: [1, 1, 0.4, 0.5] }, [1, 2, 10, 9]),
  resize('cubic antialias, downsampling', { mode: attr.s('cubic'), antialias: attr.i(1) }, { scales: [1, 1, 0.3, 0.7] }, [1, 2, 10, 9]),
  resize('cubic antialias exclude_outside', { mode: attr.s('cubic'), antialias: attr.i(1), exclude_outside: attr.i(1) }, { sizes: [1, 2, 4, 3] }, [1, 2, 10, 9]),
  resize('linear sizes with axes, not_larger', { mode: attr.s('linear'), axes: attr.ints([2, 3]), keep_aspect_ratio_policy: attr.s('not_larger') }, { sizes: [9, 20] }),
  resize('nearest scales with axes, not_smaller sizes', { mode: attr.s('nearest'), axes: attr.ints([3, 2]), keep_aspect_ratio_policy: attr.s('not_smaller') }, { sizes: [7, 3] }),
  resize('linear opset 13', { mode: attr.s('linear') }, { roi: [], scales: up }, [1, 2, 5, 6], 13),
  // ConvTranspose as a forward layer
  { name: 'ConvTranspose stride 2 pads output_padding bias', op: 'ConvTranspose', inputs: ['x', 'w', 'b'], consts: { w: c([4, 3, 3, 3]), b: c([3]) }, attrs: { strides: attr.ints([2, 2]), pads: attr.ints([1, 0, 1, 1]), output_padding: attr.ints([1, 0]) }, inputShape: [2, 4, 5, 4] },
  { name: 'ConvTranspose grouped, dilated', op: 'ConvTranspose', inputs: ['x', 'w'], consts: { w: c([4, 3, 2, 3]) }, attrs: { group: attr.i(2), dilations: attr.ints([2, 1]), strides: attr.ints([1, 2]) }, inputShape: [1, 4, 4, 5] },
  { name: 'ConvTranspose output_shape', op: 'ConvTranspose', inputs: ['x', 'w'], consts: { w: c([4, 2, 3, 3]) }, attrs: { strides: attr.ints([2, 2]), output_shape: attr.ints([10, 8]) }, inputShape: [1, 4, 4, 4] },
  { name: 'ConvTranspose SAME_UPPER, odd total pad', op: 'ConvTranspose', inputs: ['x', 'w'], consts: { w: c([3, 2, 3, 3]) }, attrs: { strides: attr.ints([2, 2]), auto_pad: attr.s('SAME_UPPER') }, inputShape: [1, 3, 4, 5] },
  { name: 'ConvTranspose SAME_LOWER, odd total pad', op: 'ConvTranspose', inputs: ['x', 'w'], consts: { w: c([3, 2, 3, 3]) }, attrs: { strides: attr.ints([2, 2]), auto_pad: attr.s('SAME_LOWER') }, inputShape: [1, 3, 4, 5] },
  { name: 'ConvTranspose output_shape with SAME_UPPER, odd total', op: 'ConvTranspose', inputs: ['x', 'w'], consts: { w: c([3, 2, 3, 3]) }, attrs: { strides: attr.ints([2, 2]), auto_pad: attr.s('SAME_UPPER'), output_shape: attr.ints([8, 6]) }, inputShape: [1, 3, 4, 4] },
  { name: 'ConvTranspose 1-D', op: 'ConvTranspose', inputs: ['x', 'w', 'b'], consts: { w: c([3, 2, 5]), b: c([2]) }, attrs: { strides: attr.ints([3]), pads: attr.ints([2, 1]) }, inputShape: [2, 3, 6] },
  { name: 'ConvTranspose 3-D', op: 'ConvTranspose', inputs: ['x', 'w'], consts: { w: c([2, 2, 3, 2, 3]) }, attrs: { strides: attr.ints([2, 1, 2]), pads: attr.ints([1, 0, 1, 0, 1, 1]) }, inputShape: [1, 2, 3, 4, 3] },
  // 1-D and 3-D window ops
  { name: 'Conv 1-D stride 2 dilation 2', op: 'Conv', inputs: ['x', 'w', 'b'], consts: { w: c([3, 4, 3]), b: c([3]) }, attrs: { strides: attr.ints([2]), dilations: attr.ints([2]), pads: attr.ints([2, 1]) }, inputShape: [2, 4, 11] },
  { name: 'Conv 3-D stride 2', op: 'Conv', inputs: ['x', 'w'], consts: { w: c([3, 2, 3, 3, 2]) }, attrs: { strides: attr.ints([2, 1, 2]), pads: attr.ints([1, 1, 0, 0, 1, 1]) }, inputShape: [1, 2, 5, 4, 6] },
  { name: 'Conv 3-D grouped SAME_LOWER', op: 'Conv', inputs: ['x', 'w'], consts: { w: c([4, 1, 2, 3, 3]) }, attrs: { group: attr.i(2), auto_pad: attr.s('SAME_LOWER') }, inputShape: [1, 2, 4, 5, 5] },
  { name: 'MaxPool 1-D', op: 'MaxPool', inputs: ['x'], attrs: { kernel_shape: attr.ints([3]), strides: attr.ints([2]), pads: attr.ints([1, 1]) }, inputShape: [2, 3, 12], kinks: true, input: distinct },
  { name: 'MaxPool 3-D ceil_mode dilations', op: 'MaxPool', inputs: ['x'], attrs: { kernel_shape: attr.ints([2, 2, 2]), strides: attr.ints([2, 2, 2]), dilations: attr.ints([1, 2, 1]), ceil_mode: attr.i(1) }, inputShape: [1, 2, 5, 6, 5], kinks: true, input: distinct },
  { name: 'AveragePool 1-D', op: 'AveragePool', inputs: ['x'], attrs: { kernel_shape: attr.ints([4]), strides: attr.ints([3]), pads: attr.ints([2, 1]) }, inputShape: [2, 3, 13] },
  { name: 'AveragePool ceil_mode, no pads', op: 'AveragePool', inputs: ['x'], attrs: { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]), ceil_mode: attr.i(1) }, inputShape: X4 },
  { name: 'AveragePool 3-D ceil_mode include pad', op: 'AveragePool', inputs: ['x'], attrs: { kernel_shape: attr.ints([3, 2, 3]), strides: attr.ints([2, 2, 2]), pads: attr.ints([1, 0, 1, 1, 0, 0]), ceil_mode: attr.i(1), count_include_pad: attr.i(1) }, inputShape: [1, 2, 6, 5, 7] },
  { name: 'AveragePool 3-D', op: 'AveragePool', inputs: ['x'], attrs: { kernel_shape: attr.ints([2, 3, 2]), strides: attr.ints([1, 2, 2]), pads: attr.ints([0, 1, 1, 1, 1, 0]) }, inputShape: [1, 2, 4, 5, 6] },
  { name: 'GlobalAveragePool 1-D', op: 'GlobalAveragePool', inputs: ['x'], inputShape: [2, 3, 9] },
  { name: 'GlobalAveragePool 3-D', op: 'GlobalAveragePool', inputs: ['x'], inputShape: [1, 3, 3, 4, 5] },
];

gradcheckCases(cases);

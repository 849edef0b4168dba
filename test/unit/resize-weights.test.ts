/**
 * The per-axis Resize matrices (resize-weights.ts) reproduce onnxruntime's Resize output: the backward rule is
 * only as exact as these matrices, and a convention slip (coordinate mode, rounding, window) shows up here first.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { Engine } from '../../src/engine/engine';
import { attr, type AttrValue, type Node } from '../../src/engine/ir/graph';
import { ConstTensor } from '../../src/engine/ir/tensor';
import { resizeSpec, resizeWeights } from '../../src/engine/backward/rules/resize-weights';
import { oneNodeModel, randn, rng } from './onenode';

interface Case {
  name: string;
  attrs: Record<string, AttrValue>;
  roi?: number[];
  scales?: number[];
  sizes?: number[];
  shape?: number[];
  opset?: number;
}

const modes: Case[] = [];
const coords = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_crop_and_resize'];
const geometries: Pick<Case, 'scales' | 'sizes' | 'roi'>[] = [
  { scales: [1, 1, 2, 1.5] }, { scales: [1, 1, 0.6, 0.5] }, { scales: [1, 1, 1.7, 0.7] }, { sizes: [1, 2, 1, 9] }, { sizes: [1, 2, 8, 1] },
  { scales: [1, 1, 1.1, 3] },
];
const roi = [0, 0, -0.2, 0.15, 1, 1, 0.9, 1.3];
for (const coord of coords) {
  for (const g of geometries) {
    const base = { coordinate_transformation_mode: attr.s(coord) };
    const withRoi = coord === 'tf_crop_and_resize' ? { roi, attrs: { ...base, extrapolation_value: attr.f(-1.5) } } : { attrs: base };
    const tag = `${coord} ${JSON.stringify(g)}`;
    for (const nearest of ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil']) {
      modes.push({ name: `nearest ${nearest} ${tag}`, ...g, ...withRoi, attrs: { ...withRoi.attrs, mode: attr.s('nearest'), nearest_mode: attr.s(nearest) } });
    }
    modes.push({ name: `linear ${tag}`, ...g, ...withRoi, attrs: { ...withRoi.attrs, mode: attr.s('linear') } });
    modes.push({ name: `cubic ${tag}`, ...g, ...withRoi, attrs: { ...withRoi.attrs, mode: attr.s('cubic') } });
    modes.push({ name: `cubic A=-0.5 exclude_outside ${tag}`, ...g, ...withRoi, attrs: { ...withRoi.attrs, mode: attr.s('cubic'), cubic_coeff_a: attr.f(-0.5), exclude_outside: attr.i(1) } });
    for (const m of ['linear', 'cubic']) {
      // onnxruntime itself fails (narrowing_error) on linear antialiasing with tf_crop_and_resize.
      if (m === 'cubic' || coord !== 'tf_crop_and_resize') modes.push({ name: `${m} antialias ${tag}`, ...g, ...withRoi, attrs: { ...withRoi.attrs, mode: attr.s(m), antialias: attr.i(1) } });
      modes.push({ name: `${m} antialias exclude_outside ${tag}`, ...g, ...withRoi, attrs: { ...withRoi.attrs, mode: attr.s(m), antialias: attr.i(1), exclude_outside: attr.i(1) } });
    }
  }
}
modes.push(
  { name: 'linear trilinear 5-D', attrs: { mode: attr.s('linear') }, scales: [1, 1, 1.5, 2, 0.5], shape: [1, 2, 3, 4, 6] },
  { name: 'nearest 3-D input', attrs: { mode: attr.s('nearest') }, scales: [1, 2.5, 0.5], shape: [2, 3, 6] },
  { name: 'linear sizes, axes, not_larger', attrs: { mode: attr.s('linear'), axes: attr.ints([2, 3]), keep_aspect_ratio_policy: attr.s('not_larger') }, sizes: [9, 20] },
  { name: 'cubic sizes, axes, not_smaller', attrs: { mode: attr.s('cubic'), axes: attr.ints([3, 2]), keep_aspect_ratio_policy: attr.s('not_smaller') }, sizes: [7, 3] },
  { name: 'linear scales with axes', attrs: { mode: attr.s('linear'), axes: attr.ints([-1]) }, scales: [0.7] },
  { name: 'scales that keep every size: copied through', attrs: { mode: attr.s('linear') }, scales: [1, 1, 1.1, 1.1] },
  { name: 'tf_crop_and_resize, same size: copied through', attrs: { mode: attr.s('linear'), coordinate_transformation_mode: attr.s('tf_crop_and_resize') }, roi, sizes: [1, 2, 5, 6] },
);

const engine = new Engine({ threads: 1 });
after(() => engine.dispose());
const next = rng(11);

/** Applies the matrices axis by axis in float64, then writes the extrapolation value where any axis samples outside. */
function reference(node: Node, x: Float32Array, inShape: number[], outShape: number[], k: Case): Float64Array {
  const spec = resizeSpec(node, inShape, k.roi ?? [], k.scales ?? [], k.sizes ?? []);
  let data = Float64Array.from(x);
  let shape = [...inShape];
  const outside = new Set<number>();
  for (const a of resizeWeights(spec, inShape, outShape)) {
    const before = shape.slice(0, a.axis).reduce((p, d) => p * d, 1);
    const after = shape.slice(a.axis + 1).reduce((p, d) => p * d, 1);
    const next = new Float64Array(before * a.outLen * after);
    for (let p = 0; p < before; p++) for (let r = 0; r < a.outLen; r++) for (let q = 0; q < after; q++) {
      let s = 0;
      for (let cc = 0; cc < a.inLen; cc++) s += a.w[r * a.inLen + cc] * data[(p * a.inLen + cc) * after + q];
      next[(p * a.outLen + r) * after + q] = s;
    }
    data = next;
    shape = shape.map((d, i) => (i === a.axis ? a.outLen : d));
    a.outside.forEach((o, r) => o && outside.add(a.axis * 100000 + r));
  }
  const strides = outShape.map((_, i) => outShape.slice(i + 1).reduce((p, d) => p * d, 1));
  data.forEach((_, flat) => {
    if (outShape.some((d, i) => outside.has(i * 100000 + (Math.floor(flat / strides[i]) % d)))) data[flat] = spec.extrapolation;
  });
  return data;
}

for (const k of modes) {
  test(`Resize weights match onnxruntime: ${k.name}`, async () => {
    const inShape = k.shape ?? [1, 2, 5, 6];
    const consts: Record<string, ConstTensor> = {};
    if (k.roi) consts.roi = ConstTensor.float32([k.roi.length], k.roi);
    if (k.scales) consts.scales = ConstTensor.float32([k.scales.length], k.scales);
    if (k.sizes) consts.sizes = ConstTensor.int64([k.sizes.length], k.sizes);
    const inputs = ['x', k.roi ? 'roi' : '', k.scales ? 'scales' : '', k.sizes ? 'sizes' : ''];
    while (inputs[inputs.length - 1] === '') inputs.pop();
    const spec = { op: 'Resize', inputs, attrs: k.attrs, consts, inputShape: inShape, opset: k.opset ?? 19 };
    const model = engine.open(oneNodeModel(spec));
    const x = randn(inShape.reduce((a, b) => a * b, 1), next);
    const y = (await engine.forward(model, { data: x, dims: inShape })).y0;
    const node: Node = { name: 'r', op: 'Resize', domain: '', inputs, outputs: ['y0'], attrs: new Map(Object.entries(k.attrs)) };
    const ref = reference(node, x, inShape, y.dims, k);
    assert.equal(ref.length, y.data.length);
    let worst = 0;
    ref.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - y.data[i]))));
    assert.ok(worst < 1e-5, `max |difference| ${worst} (output ${JSON.stringify(y.dims)})`);
  });
}

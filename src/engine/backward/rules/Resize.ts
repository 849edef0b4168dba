/**
 * Resize (constant scales/sizes/roi), every mode: a linear map that is separable per axis (resize-weights.ts
 * builds each axis's matrix). The gradient applies the transposed matrices one axis at a time with MatMul on the
 * tensor reshaped to [before, axis, after], which is exact; an axis whose matrix is a pure selection (nearest)
 * scatters instead. Nearest resizing is a selection overall, so relevance is routed like the gradient; linear and
 * cubic go through linearBackward, with W⁺/W⁻ of the full (Kronecker) map assembled per axis for cubic's signed
 * weights, and tf_crop_and_resize's extrapolation value as the bias.
 */
import type { GraphBuilder } from '../../ir/builder';
import { ConstTensor } from '../../ir/tensor';
import { linearBackward, type BiasMod, type LinearMap, type WeightMod } from '../lrp';
import type { OpRule } from '../types';
import { resizeSpec, resizeWeights, type AxisWeights, type ResizeSpec } from './resize-weights';
import { scatterAlongAxis } from './scatter';

type Part = 'id' | 'pos' | 'neg';

/** out[…, r, …] = Σ_c M[r, c] · x[…, c, …] along `axis`, M a constant rows × cols matrix (row-major). */
function applyAlongAxis(b: GraphBuilder, x: string, axis: number, rows: number, cols: number, m: Float32Array, key: string): string {
  const shape = b.shapeOf(x);
  const before = shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const after = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const outShape = shape.map((d, i) => (i === axis ? rows : d));
  if (after === 1) {
    // The last axis: x · Mᵀ.
    const mt = b.memo(`${key}|T`, () => {
      const t = new Float32Array(cols * rows);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c];
      return b.constant(ConstTensor.float32([cols, rows], t), 'resize_weights');
    });
    return b.reshape(b.op('MatMul', [b.reshape(x, [before, cols]), mt]), outShape);
  }
  const mc = b.memo(key, () => b.constant(ConstTensor.float32([rows, cols], m), 'resize_weights'));
  return b.reshape(b.op('MatMul', [mc, b.reshape(x, [before, cols, after])]), outShape);
}

/** One axis's matrix (or its transpose) restricted to its positive or negative entries. */
function part(a: AxisWeights, which: Part, transposed: boolean): Float32Array | undefined {
  const keep = which === 'pos' ? (v: number) => (v > 0 ? v : 0) : which === 'neg' ? (v: number) => (v < 0 ? v : 0) : (v: number) => v;
  const out = new Float32Array(a.outLen * a.inLen);
  let any = false;
  for (let r = 0; r < a.outLen; r++) {
    for (let c = 0; c < a.inLen; c++) {
      const v = keep(a.w[r * a.inLen + c]);
      if (v !== 0) any = true;
      out[transposed ? c * a.outLen + r : r * a.inLen + c] = v;
    }
  }
  return any ? out : undefined;
}

function resizeMap(b: GraphBuilder, name: string, spec: ResizeSpec, axes: AxisWeights[], inShape: number[], outShape: number[]): LinearMap {
  const signed = axes.some((a) => a.w.some((v) => v < 0));
  const step = (t: string, a: AxisWeights, which: Part, transposed: boolean): string | undefined => {
    if (transposed && which !== 'neg' && a.select) return scatterAlongAxis(b, t, a.axis, a.select, a.inLen);
    const m = part(a, which, transposed);
    if (!m) return undefined;
    const [rows, cols] = transposed ? [a.inLen, a.outLen] : [a.outLen, a.inLen];
    return applyAlongAxis(b, t, a.axis, rows, cols, m, `${name}|resize|${a.axis}|${which}|${transposed}`);
  };
  const plus = (p?: string, q?: string) => (p && q ? b.add(p, q) : p ?? q);
  // (⊗ Wₐ)⁺ and (⊗ Wₐ)⁻ axis by axis: a product is positive when an even number of its factors are negative.
  const apply = (x: string, w: WeightMod, transposed: boolean, from: number[], shape: number[]): string => {
    b.setShape(x, from);
    if (w === 'id') return axes.reduce((t, a) => step(t, a, 'id', transposed)!, x);
    let pos: string | undefined = x;
    let neg: string | undefined;
    for (const a of axes) {
      const pp: string | undefined = pos && step(pos, a, 'pos', transposed);
      const pn: string | undefined = pos && step(pos, a, 'neg', transposed);
      const np: string | undefined = neg && step(neg, a, 'pos', transposed);
      const nn: string | undefined = neg && step(neg, a, 'neg', transposed);
      [pos, neg] = [plus(pp, nn), plus(pn, np)];
    }
    return (w === 'pos' ? pos : neg) ?? b.zeros(shape);
  };
  const biasFor = (mod: BiasMod): string | undefined => {
    const e = spec.extrapolation;
    const v = mod === 'keep' ? e : mod === 'pos' ? Math.max(e, 0) : mod === 'neg' ? Math.min(e, 0) : 0;
    if (v === 0 || !axes.some((a) => a.outside.some(Boolean))) return undefined;
    return b.memo(`${name}|resize-bias|${v}`, () => {
      // v wherever any resized axis samples outside the input; broadcast over the other axes.
      const dims = outShape.map((d, i) => (axes.some((a) => a.axis === i) ? d : 1));
      const data = new Float32Array(dims.reduce((p, d) => p * d, 1));
      data.forEach((_, flat) => {
        let rest = flat;
        let out = false;
        for (let i = dims.length - 1; i >= 0; i--) {
          const a = axes.find((x) => x.axis === i);
          if (a && a.outside[rest % dims[i]]) out = true;
          rest = Math.floor(rest / dims[i]);
        }
        data[flat] = out ? v : 0;
      });
      return b.constant(ConstTensor.float32(dims, data), 'resize_extrapolation');
    });
  };
  return {
    signed,
    forward(x, w, bias) {
      const z = apply(x, w, false, inShape, outShape);
      const c = biasFor(bias);
      return c ? b.add(z, c) : z;
    },
    transpose: (s, w) => apply(s, w, true, outShape, inShape),
  };
}

export const rule: OpRule = {
  op: 'Resize',
  traits: { field: 'global' },
  backward(ctx) {
    const { b, node } = ctx;
    const [x, roi, scales, sizes] = node.inputs;
    const y = node.outputs[0];
    const values = (name: string | undefined) => {
      if (!name) return [];
      const t = ctx.constant(name);
      if (!t) throw ctx.unsupported('roi, scales and sizes must be constants');
      return t.numbers();
    };
    const inShape = ctx.shape(x);
    const outShape = ctx.shape(y);
    let spec: ResizeSpec;
    let axes: AxisWeights[];
    try {
      spec = resizeSpec(node, inShape, values(roi), values(scales), values(sizes));
      axes = resizeWeights(spec, inShape, outShape);
    } catch (e) {
      throw ctx.unsupported((e as Error).message);
    }
    const dy = b.setShape(ctx.dy()!, outShape);
    if (!axes.length) return [dy];
    if (axes.every((a) => a.select)) return [axes.reduce((s, a) => scatterAlongAxis(b, s, a.axis, a.select!, a.inLen), dy)];
    return [linearBackward(ctx, resizeMap(b, node.name, spec, axes, inShape, outShape), x, y)];
  },
};

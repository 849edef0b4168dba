/** Finite-difference checks of the elementwise, variadic and reduction rules (see gradcheck.ts). */
import { attr } from '../../src/engine/ir/graph';
import { ConstTensor, DataType } from '../../src/engine/ir/tensor';
import { c, ci, cs, gradcheckCases, positive, type GradCase } from './gradcheck';

const X4 = [2, 4, 7, 7];
const X3 = [2, 3, 5];
const mulBy = (k: string, out = 't0') => ({ op: 'Mul', inputs: ['x', k], outputs: [out] });
/** Inputs in [0.5, 2.5): near 0.2 the curvature of 1/x and √x makes the finite difference itself inaccurate. */
const moderate = (n: number, r: () => number) => Float32Array.from({ length: n }, () => 0.5 + 2 * r());
const bool = (dims: number[], v: number[]) => ConstTensor.fromTyped(DataType.BOOL, dims, Uint8Array.from(v));

const unary: GradCase[] = [
  { name: 'Erf', op: 'Erf', inputs: ['x'], inputShape: X4 },
  { name: 'Gelu exact (opset 20)', op: 'Gelu', inputs: ['x'], inputShape: X4, opset: 20 },
  { name: 'Gelu tanh (opset 20)', op: 'Gelu', inputs: ['x'], attrs: { approximate: attr.s('tanh') }, inputShape: X4, opset: 20 },
  { name: 'Softplus', op: 'Softplus', inputs: ['x'], inputShape: X4 },
  { name: 'Mish (opset 18)', op: 'Mish', inputs: ['x'], inputShape: X4, opset: 18 },
  { name: 'Elu alpha 0.7', op: 'Elu', inputs: ['x'], attrs: { alpha: attr.f(0.7) }, inputShape: X4, kinks: true },
  { name: 'Selu defaults', op: 'Selu', inputs: ['x'], inputShape: X4, kinks: true },
  { name: 'Selu alpha/gamma', op: 'Selu', inputs: ['x'], attrs: { alpha: attr.f(1.5), gamma: attr.f(0.8) }, inputShape: X4, kinks: true },
  { name: 'Celu alpha 0.5', op: 'Celu', inputs: ['x'], attrs: { alpha: attr.f(0.5) }, inputShape: X4, kinks: true },
  { name: 'Exp', op: 'Exp', inputs: ['x'], inputShape: X4 },
  { name: 'Log', op: 'Log', inputs: ['x'], inputShape: X4, input: positive },
  { name: 'Sqrt', op: 'Sqrt', inputs: ['x'], inputShape: X4, input: positive },
  { name: 'Neg', op: 'Neg', inputs: ['x'], inputShape: X4 },
  { name: 'Abs', op: 'Abs', inputs: ['x'], inputShape: X4, kinks: true },
  { name: 'Reciprocal', op: 'Reciprocal', inputs: ['x'], inputShape: X4, input: moderate },
  { name: 'Sin', op: 'Sin', inputs: ['x'], inputShape: X4 },
  { name: 'Cos', op: 'Cos', inputs: ['x'], inputShape: X4 },
];

const pow: GradCase[] = [
  { name: 'Pow x^3 (scalar exponent, any sign)', op: 'Pow', inputs: ['x', 'p'], consts: { p: cs(3) }, inputShape: X4 },
  { name: 'Pow x^0.5', op: 'Pow', inputs: ['x', 'p'], consts: { p: cs(0.5) }, inputShape: X4, input: moderate },
  { name: 'Pow x^2 with an int64 exponent', op: 'Pow', inputs: ['x', 'p'], consts: { p: ci([2]) }, inputShape: X4 },
  { name: 'Pow broadcast exponent [3,1,1] over x [4,5]', op: 'Pow', inputs: ['x', 'p'], consts: { p: ConstTensor.float32([3, 1, 1], [1, 2, 3]) }, inputShape: [4, 5] },
  { name: 'Pow x^x (input-dependent exponent)', op: 'Pow', inputs: ['x', 'x'], inputShape: X3, input: positive },
  { name: 'Pow x^(2x) (exponent from another node)', op: 'Pow', inputs: ['x', 't0'], consts: { k: cs(2) }, before: [mulBy('k')], inputShape: X3, input: positive },
  { name: 'Pow 1.7^x (constant base)', op: 'Pow', inputs: ['k', 'x'], consts: { k: cs(1.7) }, inputShape: X3 },
];

const variadic: GradCase[] = [
  { name: 'Max(x, 0)', op: 'Max', inputs: ['x', 'z'], consts: { z: cs(0) }, inputShape: X4, kinks: true },
  { name: 'Max one input', op: 'Max', inputs: ['x'], inputShape: X3 },
  { name: 'Max(x, −x/2, k) broadcasting', op: 'Max', inputs: ['x', 't0', 'k'], consts: { h: cs(-0.5), k: c([1, 4, 1, 1]) }, before: [mulBy('h')], inputShape: X4, kinks: true },
  { name: 'Min(x, k[7])', op: 'Min', inputs: ['x', 'k'], consts: { k: c([7]) }, inputShape: X4, kinks: true },
  { name: 'Min(x, 3x, −x/2) variadic', op: 'Min', inputs: ['x', 't0', 't1'], consts: { a: cs(3), h: cs(-0.5) }, before: [mulBy('a', 't0'), mulBy('h', 't1')], inputShape: X4, kinks: true },
  { name: 'Sum(x, 2x, k) broadcasting', op: 'Sum', inputs: ['x', 't0', 'k'], consts: { a: cs(2), k: c([4, 1, 1]) }, before: [mulBy('a')], inputShape: X4 },
  { name: 'Sum(x, x, x)', op: 'Sum', inputs: ['x', 'x', 'x'], inputShape: X3 },
  { name: 'Sum one input', op: 'Sum', inputs: ['x'], inputShape: X3 },
  { name: 'Mean(x, k) broadcasting', op: 'Mean', inputs: ['x', 'k'], consts: { k: c([1, 4, 1, 7]) }, inputShape: X4 },
  { name: 'Mean(x, 2x, x)', op: 'Mean', inputs: ['x', 't0', 'x'], consts: { a: cs(2) }, before: [mulBy('a')], inputShape: X3 },
  { name: 'Where(x > 0, x, 0.3x)', op: 'Where', inputs: ['t0', 'x', 't1'], consts: { z: cs(0), k: cs(0.3) },
    before: [{ op: 'Greater', inputs: ['x', 'z'] }, mulBy('k', 't1')], inputShape: X4, kinks: true },
  { name: 'Where(constant c[4,1,1], x, k[7]) broadcasting', op: 'Where', inputs: ['c', 'x', 'k'], consts: { c: bool([4, 1, 1], [1, 0, 0, 1]), k: c([7]) }, inputShape: X4 },
  { name: 'Where(c, k, x[4,1]) x broadcast to [3,4,5]', op: 'Where', inputs: ['c', 'k', 'x'], consts: { c: bool([3, 1, 1], [1, 0, 0]), k: c([5]) }, inputShape: [4, 1] },
  { name: 'Expand [4,1,7] → [2,4,3,7]', op: 'Expand', inputs: ['x', 's'], consts: { s: ci([2, 4, 3, 7]) }, inputShape: [4, 1, 7] },
  { name: 'Expand [2,1,5] with shape [3,1] (broadcast both ways)', op: 'Expand', inputs: ['x', 's'], consts: { s: ci([3, 1]) }, inputShape: [2, 1, 5] },
  { name: 'Tile repeats [2,1,3]', op: 'Tile', inputs: ['x', 'r'], consts: { r: ci([2, 1, 3]) }, inputShape: X3 },
  { name: 'Tile repeats all 1', op: 'Tile', inputs: ['x', 'r'], consts: { r: ci([1, 1, 1]) }, inputShape: X3 },
];

const keep = (k: number) => ({ keepdims: attr.i(k) });
const reductions: GradCase[] = [
  { name: 'ReduceSum axes [1, −1] keepdims 0', op: 'ReduceSum', inputs: ['x', 'a'], consts: { a: ci([1, -1]) }, attrs: keep(0), inputShape: X4 },
  { name: 'ReduceSum all axes keepdims 1', op: 'ReduceSum', inputs: ['x'], attrs: keep(1), inputShape: X3 },
  { name: 'ReduceSum noop_with_empty_axes', op: 'ReduceSum', inputs: ['x', 'a'], consts: { a: ci([]) }, attrs: { noop_with_empty_axes: attr.i(1) }, inputShape: X3 },
  { name: 'ReduceSum opset 11 (axes attribute)', op: 'ReduceSum', inputs: ['x'], attrs: { axes: attr.ints([0, 2]), keepdims: attr.i(0) }, inputShape: X3, opset: 11 },
  { name: 'ReduceMean opset 18 axes input [−2, −1]', op: 'ReduceMean', inputs: ['x', 'a'], consts: { a: ci([-2, -1]) }, attrs: keep(1), inputShape: X4, opset: 18 },
  { name: 'ReduceMax axes [−1] keepdims 1', op: 'ReduceMax', inputs: ['x'], attrs: { axes: attr.ints([-1]), ...keep(1) }, inputShape: X4, kinks: true },
  { name: 'ReduceMax opset 18 axes input [0, 2] keepdims 0', op: 'ReduceMax', inputs: ['x', 'a'], consts: { a: ci([0, 2]) }, attrs: keep(0), inputShape: X3, opset: 18, kinks: true },
  { name: 'ReduceMin opset 18 axes [1]', op: 'ReduceMin', inputs: ['x', 'a'], consts: { a: ci([1]) }, attrs: keep(1), inputShape: X4, opset: 18, kinks: true },
  { name: 'ReduceMin all axes keepdims 0', op: 'ReduceMin', inputs: ['x'], attrs: keep(0), inputShape: X3, kinks: true },
  { name: 'ReduceL2 axes [1] keepdims 0', op: 'ReduceL2', inputs: ['x'], attrs: { axes: attr.ints([1]), ...keep(0) }, inputShape: X4 },
  { name: 'ReduceL2 opset 18 noop_with_empty_axes (|x|)', op: 'ReduceL2', inputs: ['x'], attrs: { noop_with_empty_axes: attr.i(1) }, inputShape: X3, opset: 18, kinks: true },
  { name: 'ReduceLogSumExp axes [−1] keepdims 1', op: 'ReduceLogSumExp', inputs: ['x'], attrs: { axes: attr.ints([-1]), ...keep(1) }, inputShape: X4 },
  { name: 'ReduceLogSumExp opset 18 axes input [1, 2] keepdims 0', op: 'ReduceLogSumExp', inputs: ['x', 'a'], consts: { a: ci([1, 2]) }, attrs: keep(0), inputShape: X3, opset: 18 },
  { name: 'ReduceSumSquare axes [2, 3] keepdims 1', op: 'ReduceSumSquare', inputs: ['x'], attrs: { axes: attr.ints([2, 3]), ...keep(1) }, inputShape: X4 },
  { name: 'ReduceSumSquare opset 18 all axes keepdims 0', op: 'ReduceSumSquare', inputs: ['x'], attrs: keep(0), inputShape: X3, opset: 18 },
];

gradcheckCases([...unary, ...pow, ...variadic, ...reductions]);

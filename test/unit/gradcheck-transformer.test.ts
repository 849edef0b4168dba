/** Finite-difference checks of the normalisation, Einsum and attention gradient rules (see gradcheck.ts). */
import { attr } from '../../src/engine/ir/graph';
import { ConstTensor } from '../../src/engine/ir/tensor';
import { c, gradcheckCases, type GradCase } from './gradcheck';

const X4 = [2, 4, 3, 5];
const scaleAround1 = (dims: number[]) => ConstTensor.float32(dims, c(dims).floats().map((v) => 1 + 0.3 * v));
const cases: GradCase[] = [
  { name: 'LayerNormalization last axis, scale and bias', op: 'LayerNormalization', inputs: ['x', 's', 'bb'], consts: { s: scaleAround1([8]), bb: c([8]) }, attrs: { epsilon: attr.f(1e-3) }, inputShape: [2, 5, 8] },
  { name: 'LayerNormalization axis 1 (three axes), broadcast scale, no bias', op: 'LayerNormalization', inputs: ['x', 's'], consts: { s: scaleAround1([3, 5]) }, attrs: { axis: attr.i(1) }, inputShape: X4 },
  { name: 'GroupNormalization opset 18 per-group scale', op: 'GroupNormalization', inputs: ['x', 's', 'bb'], consts: { s: scaleAround1([2]), bb: c([2]) }, attrs: { num_groups: attr.i(2) }, inputShape: X4, opset: 18 },
  { name: 'GroupNormalization opset 21 per-channel scale', op: 'GroupNormalization', inputs: ['x', 's', 'bb'], consts: { s: scaleAround1([4]), bb: c([4]) }, attrs: { num_groups: attr.i(2), epsilon: attr.f(1e-2) }, inputShape: X4, opset: 21 },
  { name: 'InstanceNormalization', op: 'InstanceNormalization', inputs: ['x', 's', 'bb'], consts: { s: scaleAround1([4]), bb: c([4]) }, inputShape: X4 },
  { name: 'Einsum batched x·xᵀ (bij,bkj->bik)', op: 'Einsum', inputs: ['x', 'x'], attrs: { equation: attr.s('bij,bkj->bik') }, inputShape: [2, 3, 4] },
  { name: 'Einsum constant operand (bij,jk->bik)', op: 'Einsum', inputs: ['x', 'w'], consts: { w: c([4, 5]) }, attrs: { equation: attr.s('bij,jk->bik') }, inputShape: [2, 3, 4] },
  { name: 'Einsum ellipsis (...ij,...jk->...ik)', op: 'Einsum', inputs: ['x', 'x'], attrs: { equation: attr.s('...ij,...jk->...ik') }, inputShape: [2, 2, 3, 3] },
  { name: 'Einsum implicit output (ij,jk)', op: 'Einsum', inputs: ['x', 'w'], consts: { w: c([4, 2]) }, attrs: { equation: attr.s('ij,jk') }, inputShape: [3, 4] },
  { name: 'Einsum index summed in one operand (bij,bj->b)', op: 'Einsum', inputs: ['x', 't0'], before: [{ op: 'ReduceMean', inputs: ['x'], attrs: { axes: attr.ints([1]), keepdims: attr.i(0) } }], attrs: { equation: attr.s('bij,bj->b') }, inputShape: [2, 3, 4] },
  { name: 'Einsum transpose and sum (bij->jb)', op: 'Einsum', inputs: ['x'], attrs: { equation: attr.s('bij->jb') }, inputShape: [2, 3, 4] },
  { name: 'MatMul constant · x (broadcast left operand)', op: 'MatMul', inputs: ['w', 'x'], consts: { w: c([3, 4]) }, inputShape: [2, 4, 5] },
  { name: 'MatMul 3-D constant right operand', op: 'MatMul', inputs: ['x', 'w'], consts: { w: c([2, 6, 5]) }, inputShape: [2, 3, 6] },
  {
    name: 'MatMul + bias (Linear on tokens)', op: 'Add', inputs: ['t0', 'bb'], consts: { w: c([6, 5]), bb: c([5]) },
    before: [{ op: 'MatMul', inputs: ['x', 'w'] }], inputShape: [2, 3, 6],
  },
  {
    // softmax(x·xᵀ/2)·x: the attention pattern with Q = K = V = x.
    name: 'MatMul attention softmax(QKᵀ)·V', op: 'MatMul', inputs: ['t3', 'x'], consts: { half: ConstTensor.float32([], [0.5]) },
    before: [
      { op: 'Transpose', inputs: ['x'], attrs: { perm: attr.ints([0, 2, 1]) } },
      { op: 'MatMul', inputs: ['x', 't0'] },
      { op: 'Mul', inputs: ['t1', 'half'] },
      { op: 'Softmax', inputs: ['t2'], attrs: { axis: attr.i(-1) } },
    ],
    inputShape: [2, 4, 3],
  },
];

gradcheckCases(cases);

/** LogSoftmax along one axis: δx = δ − softmax ⊙ Σ_axis δ (softmax = exp(y)); identity under LRP. */
import { softmaxLike } from './softmax-like';

export const rule = softmaxLike('LogSoftmax', (b, dy, y, axis) => b.sub(dy, b.mul(b.op('Exp', [y]), b.reduce('ReduceSum', dy, [axis], true))));

/** Softmax along one axis: δx = y ⊙ (δ − Σ_axis δ⊙y); identity under LRP. */
import { softmaxLike } from './softmax-like';

export const rule = softmaxLike('Softmax', (b, dy, y, axis) => b.mul(y, b.sub(dy, b.reduce('ReduceSum', b.mul(dy, y), [axis], true))));

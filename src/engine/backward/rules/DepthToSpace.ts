/**
 * DepthToSpace (pixel shuffle): a permutation of elements, so every rule applies the inverse permutation.
 * DCR's inverse is SpaceToDepth itself; CRD's is written as Reshape → Transpose → Reshape.
 */
import { attr, getInt, getString } from '../../ir/graph';
import type { OpRule } from '../types';

export const rule: OpRule = {
  op: 'DepthToSpace',
  backward(ctx) {
    const { b, node } = ctx;
    const bs = getInt(node, 'blocksize', 1);
    const inShape = ctx.shape(node.inputs[0]);
    const dy = ctx.dy()!;
    if (getString(node, 'mode', 'DCR') === 'DCR') return [b.op('SpaceToDepth', [dy], { blocksize: attr.i(bs) })];
    // CRD: x[n, c·b² + i·b + j, h, w] = y[n, c, h·b + i, w·b + j].
    const [n, c, h, w] = inShape;
    const split = b.reshape(dy, [n, c / (bs * bs), h, bs, w, bs]);
    const moved = b.op('Transpose', [split], { perm: attr.ints([0, 1, 3, 5, 2, 4]) });
    return [b.reshape(moved, inShape)];
  },
};

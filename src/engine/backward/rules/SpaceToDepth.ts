/** SpaceToDepth: a permutation of elements whose inverse is DepthToSpace in DCR mode (every rule). */
import { attr, getInt } from '../../ir/graph';
import type { OpRule } from '../types';

export const rule: OpRule = {
  op: 'SpaceToDepth',
  backward: (ctx) => [ctx.b.op('DepthToSpace', [ctx.dy()!], { blocksize: attr.i(getInt(ctx.node, 'blocksize', 1)), mode: attr.s('DCR') })],
};

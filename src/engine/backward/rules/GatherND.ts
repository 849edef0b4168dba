/**
 * GatherND with constant indices: a linear selection, so every rule scatters the signal back with ScatterND(add).
 * ScatterND has no batch_dims, so the batch coordinates are written into the index tuples here.
 */
import { attr, getInt } from '../../ir/graph';
import { ConstTensor } from '../../ir/tensor';
import type { OpRule } from '../types';

export const rule: OpRule = {
  op: 'GatherND',
  backward(ctx) {
    const { b, node } = ctx;
    const [data, indices] = node.inputs;
    const inShape = ctx.shape(data);
    const t = ctx.constant(indices);
    if (!t) throw ctx.unsupported('indices computed at run time are not supported (only constants)');
    const batchDims = getInt(node, 'batch_dims', 0);
    const k = t.dims[t.dims.length - 1];
    const tuples = t.dims.slice(0, -1);
    const count = tuples.reduce((p, d) => p * d, 1);
    // Index tuples per batch item: the batch axes lead `tuples`, so item = tuple number / tuples per item.
    const perItem = tuples.slice(batchDims).reduce((p, d) => p * d, 1);
    const values = t.numbers();
    const full: number[] = [];
    for (let j = 0; j < count; j++) {
      let item = Math.floor(j / perItem);
      const batch: number[] = new Array(batchDims);
      for (let a = batchDims - 1; a >= 0; a--) {
        batch[a] = item % inShape[a];
        item = Math.floor(item / inShape[a]);
      }
      full.push(...batch);
      for (let c = 0; c < k; c++) {
        const v = values[j * k + c];
        full.push(v < 0 ? v + inShape[batchDims + c] : v);
      }
    }
    const idx = b.constant(ConstTensor.int64([...tuples, batchDims + k], full), 'gathernd_indices');
    return [b.op('ScatterND', [b.zeros(inShape), idx, ctx.dy()!], { reduction: attr.s('add') })];
  },
};

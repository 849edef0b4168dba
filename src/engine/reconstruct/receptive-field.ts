/**
 * Receptive-field geometry of a tensor w.r.t. the input, from the graph's Conv/Pool/Pad attributes: position p of
 * the tensor (per spatial axis) sees input pixels [offset + p·jump, offset + p·jump + size). Composition per layer
 * (kernel k, stride s, dilation d, leading pad b): offset' = offset − b·jump, jump' = jump·s, size' = size + (k−1)·d·jump.
 * Merges (Add, Mul, Concat, …) keep the widest input; ops without a local geometry (global pooling, Resize, MatMul)
 * give the whole image. Which op is which is the op's trait, declared in its rule file (OpTraits.field).
 */
import type { Graph } from '../ir/graph';
import { getInts } from '../ir/graph';
import { nodesBetween } from '../backward/backward';
import { defaultRegistry } from '../backward/registry';
import type { OpTraits } from '../backward/types';

export interface Geometry {
  offset: [number, number];
  jump: [number, number];
  size: [number, number];
  global: boolean;
}

/** Ops without a backward rule (which declares OpTraits.field) that forward-only methods still meet. */
const RULELESS: Record<string, OpTraits['field']> = { Upsample: 'global', LpPool: 'window' };

function fieldOf(op: string, domain: string): OpTraits['field'] {
  return domain === '' ? defaultRegistry.get(op)?.traits?.field ?? RULELESS[op] : undefined;
}

export function receptiveField(g: Graph, input: string, tensor: string, inputHW: [number, number]): Geometry {
  const geo = new Map<string, Geometry>();
  const whole: Geometry = { offset: [0, 0], jump: inputHW, size: inputHW, global: true };
  geo.set(input, { offset: [0, 0], jump: [1, 1], size: [1, 1], global: false });
  if (tensor === input) return geo.get(input)!;
  for (const n of nodesBetween(g, [input], tensor)) {
    const ins = n.inputs.map((i) => geo.get(i)).filter((x): x is Geometry => !!x);
    if (ins.length === 0) continue;
    let out: Geometry;
    const widest = ins.reduce((a, b) => (b.global || (!a.global && b.size[0] * b.size[1] > a.size[0] * a.size[1]) ? b : a));
    const field = fieldOf(n.op, n.domain);
    if (widest.global || field === 'global') out = whole;
    else if (field === 'window') {
      let k = getInts(n, 'kernel_shape');
      if (!k && n.op === 'Conv') k = g.initializers.get(n.inputs[1])?.dims.slice(2);
      const s = getInts(n, 'strides') ?? [1, 1];
      const d = getInts(n, 'dilations') ?? [1, 1];
      const pads = getInts(n, 'pads') ?? [0, 0, 0, 0];
      if (!k || k.length !== 2) out = whole;
      else {
        out = { global: false, offset: [0, 0], jump: [0, 0], size: [0, 0] };
        for (const a of [0, 1]) {
          out.offset[a] = widest.offset[a] - pads[a] * widest.jump[a];
          out.jump[a] = widest.jump[a] * s[a];
          out.size[a] = widest.size[a] + (k[a] - 1) * d[a] * widest.jump[a];
        }
      }
    } else if (field === 'pad') {
      const t = n.inputs[1] ? g.initializers.get(n.inputs[1]) : undefined;
      const pads = t ? Array.from(t.values() as ArrayLike<number | bigint>, Number) : getInts(n, 'pads');
      if (!pads || pads.length !== 8) out = whole;
      else out = { ...widest, offset: [widest.offset[0] - pads[2] * widest.jump[0], widest.offset[1] - pads[3] * widest.jump[1]] };
    } else out = widest;
    for (const o of n.outputs) if (o) geo.set(o, out);
  }
  return geo.get(tensor) ?? whole;
}

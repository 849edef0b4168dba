/** Finding the feature map a CAM explains, and bringing CAM maps to the input's resolution. */
import type { GraphBuilder } from '../ir/builder';
import { attr, getInts, type Graph, type Node } from '../ir/graph';
import { FeatureVisError, paramError } from '../errors';
import { tokenCamLayer } from '../cam-layout';

const HEAD_PASS = new Set(['Flatten', 'Reshape', 'Squeeze', 'Identity', 'Dropout']);

/**
 * CAM needs global average pooling followed (through reshapes) by a dense layer producing the target; `axes` are
 * the pooled axes (they tell channels-first maps from channels-last maps and token sequences).
 */
export function findCamHead(g: Graph, target: string): { pooledInput: string; pooledOutput: string; axes?: number[] } {
  const byOutput = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) byOutput.set(o, n);
  let node = byOutput.get(target);
  const fail = () => new FeatureVisError('InvalidParams',
    `CAM needs a head of global average pooling → dense layer producing '${target}'; this model has none there. Use grad-cam instead.`);
  if (!node || (node.op !== 'Gemm' && node.op !== 'MatMul')) throw fail();
  node = byOutput.get(node.inputs[0]);
  while (node && HEAD_PASS.has(node.op)) node = byOutput.get(node.inputs[0]);
  if (!node) throw fail();
  if (node.op === 'GlobalAveragePool') return { pooledInput: node.inputs[0], pooledOutput: node.outputs[0] };
  if (node.op === 'ReduceMean') {
    const axes = node.inputs[1] ? g.initializers.get(node.inputs[1])?.numbers() : getInts(node, 'axes');
    return { pooledInput: node.inputs[0], pooledOutput: node.outputs[0], axes: axes?.length ? axes : undefined };
  }
  throw fail();
}

/**
 * Default Grad-CAM layer: the input of the last global pooling, else (transformers with a class-token head) the
 * tokens entering the last attention, else the last 4-D tensor with spatial extent.
 */
export function defaultCamLayer(g: Graph, shapes: ReadonlyMap<string, number[]>, target: string): string {
  try {
    return findCamHead(g, target).pooledInput;
  } catch {
    for (let i = g.nodes.length - 1; i >= 0; i--) {
      const n = g.nodes[i];
      if (n.op === 'GlobalAveragePool' || n.op === 'GlobalMaxPool') return n.inputs[0];
    }
    const tokens = tokenCamLayer(g, shapes as Map<string, number[]>);
    if (tokens) return tokens;
    for (let i = g.nodes.length - 1; i >= 0; i--) {
      const s = shapes.get(g.nodes[i].outputs[0]);
      if (s && s.length === 4 && s[2] * s[3] > 1) return g.nodes[i].outputs[0];
    }
    throw paramError('layer', 'must be given: this model has no convolutional feature map to pick by default');
  }
}

/** Bilinear (half-pixel, as torch's align_corners=False) resize of an (N,1,…) map to the spatial size of the input's (N, C, …) view. */
export function upsample(b: GraphBuilder, map: string, inShape: number[]): string {
  const sizes = [inShape[0], 1, ...inShape.slice(2)];
  return b.op('Resize', [map, '', '', b.ints(sizes, 'sizes')], {
    mode: attr.s('linear'), coordinate_transformation_mode: attr.s('half_pixel'),
  });
}

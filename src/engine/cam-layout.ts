/**
 * Feature tensors for CAM / Grad-CAM in the layouts models use: channels-first (N, C, H, W) as CNNs, channels-last
 * (N, H, W, C) as Swin and ConvNeXt blocks, and token sequences (N, T, C) as ViT, with T = extra tokens (class,
 * distillation, registers; first) + h·w patch tokens. Each is viewed as (N, C, h, w) for the CAM formulas.
 */
import type { GraphBuilder } from './ir/builder';
import { attr, dataInputs, type Graph, type Node } from './ir/graph';
import { decomposedNormOutputs } from './ir/fuse-norms';

export type CamLayout =
  | { kind: 'channels-first' }
  | { kind: 'channels-last' }
  | { kind: 'tokens'; extra: number; h: number; w: number };

/** At most this many non-patch tokens lead the sequence (1 class token, +1 distillation, +4–8 registers). */
const MAX_EXTRA = 9;

/** The patch grid of T tokens for an input of spatial size H×W: h·w = T − extra with h = H/p, w = W/p. */
export function tokenGrid(T: number, inShape: number[]): { extra: number; h: number; w: number } | undefined {
  if (inShape.length !== 4) return undefined;
  const [H, W] = [inShape[2], inShape[3]];
  let best: { extra: number; h: number; w: number } | undefined;
  for (let p = 1; p <= Math.min(H, W); p++) {
    if (H % p || W % p) continue;
    const extra = T - (H / p) * (W / p);
    if (extra >= 0 && extra <= MAX_EXTRA && (!best || extra < best.extra)) best = { extra, h: H / p, w: W / p };
  }
  return best;
}

/** a×b is a downscaled grid of the input's H×W (same aspect ratio up to rounding). */
function isGrid(a: number, b: number, inShape: number[]): boolean {
  const [H, W] = [inShape[2], inShape[3]];
  return a > 1 && b > 1 && a <= H && b <= W && Math.abs(a * W - b * H) <= Math.max(H, W);
}

/**
 * The layout of a feature tensor. `pooledAxes`, the axes a global average pooling reduces (CAM's head), decides
 * it when known; otherwise the shape does, preferring channels-first when both readings fit.
 */
export function camLayout(shape: number[], inShape: number[], pooledAxes?: number[]): CamLayout | undefined {
  const rank = shape.length;
  if (rank < 3) return undefined;
  if (rank === 3 && inShape.length === 4) {
    const grid = tokenGrid(shape[1], inShape);
    return grid && { kind: 'tokens', ...grid };
  }
  if (pooledAxes) {
    const sorted = pooledAxes.map((a) => (a < 0 ? a + rank : a)).sort((p, q) => p - q).join();
    if (sorted === Array.from({ length: rank - 2 }, (_, i) => i + 1).join()) return { kind: 'channels-last' };
    return { kind: 'channels-first' };
  }
  if (rank === 4 && inShape.length === 4 && !isGrid(shape[2], shape[3], inShape) && isGrid(shape[1], shape[2], inShape)) {
    return { kind: 'channels-last' };
  }
  return { kind: 'channels-first' };
}

/** The tensor as (N, C, spatial…): channels moved first, or patch tokens cut out and laid on their grid. */
export function channelsFirst(b: GraphBuilder, t: string, shape: number[], layout: CamLayout): string {
  const rank = shape.length;
  if (layout.kind === 'channels-first') return t;
  if (layout.kind === 'channels-last') {
    const perm = [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
    return b.setShape(b.op('Transpose', [t], { perm: attr.ints(perm) }), perm.map((a) => shape[a]));
  }
  const [n, T, c] = shape;
  const patches = layout.extra === 0 ? t : b.op('Slice', [t, b.ints([layout.extra], 'starts'), b.ints([T], 'ends'), b.ints([1], 'axes')]);
  const grid = b.reshape(patches, [n, layout.h, layout.w, c]);
  return b.setShape(b.op('Transpose', [grid], { perm: attr.ints([0, 3, 1, 2]) }), [n, c, layout.h, layout.w]);
}

/**
 * Default Grad-CAM layer of a token model: the tokens entering its last token-mixing product (attention's A·V or
 * Q·Kᵀ) — the output of the layer norm right before it (pytorch-grad-cam's `blocks[-1].norm1`), else the
 * residual stream read by that block. Later token tensors only carry the class token's path to the head.
 */
export function tokenCamLayer(g: Graph, shapes: Map<string, number[]>): string | undefined {
  const input = dataInputs(g)[0]?.name;
  const inShape = input ? shapes.get(input) : undefined;
  if (!inShape || inShape.length !== 4) return undefined;
  const dynamic = new Set([input]);
  for (const n of g.nodes) if (n.inputs.some((i) => dynamic.has(i))) for (const o of n.outputs) if (o) dynamic.add(o);
  const mixing = (n: Node) => (n.op === 'MatMul' || n.op === 'Einsum') && n.inputs.filter((i) => dynamic.has(i)).length >= 2;
  let mixAt = -1;
  for (let i = g.nodes.length - 1; i >= 0 && mixAt < 0; i--) if (mixing(g.nodes[i])) mixAt = i;
  if (mixAt < 0) return undefined;
  const producerOf = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) if (o) producerOf.set(o, n);
  const ancestors = new Set<string>();
  const stack = [...g.nodes[mixAt].inputs];
  while (stack.length) {
    const t = stack.pop()!;
    if (ancestors.has(t) || !dynamic.has(t)) continue;
    ancestors.add(t);
    stack.push(...(producerOf.get(t)?.inputs ?? []));
  }
  const isTokens = (t: string) => {
    const s = shapes.get(t);
    return !!s && s.length === 3 && s[0] === inShape[0] && !!tokenGrid(s[1], inShape);
  };
  const before = g.nodes.slice(0, mixAt).reverse();
  const written = decomposedNormOutputs(g, shapes);
  const isNorm = (n: Node) => n.op === 'LayerNormalization' || written.has(n.outputs[0]);
  const norm = before.find((n) => isNorm(n) && ancestors.has(n.outputs[0]) && isTokens(n.outputs[0]));
  if (norm) return norm.outputs[0];
  const readLater = new Set(g.nodes.slice(mixAt + 1).flatMap((n) => n.inputs));
  return before.map((n) => n.outputs[0]).find((t) => ancestors.has(t) && isTokens(t) && readLater.has(t));
}

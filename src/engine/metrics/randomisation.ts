/**
 * Cascading model-parameter randomisation (Adebayo et al. 2018, "Sanity Checks for Saliency Maps"): from the output
 * layer down, the weights of each weighted layer (Conv, ConvTranspose, Gemm, MatMul with an initializer weight) are
 * re-drawn from N(0, σ²) with σ the layer's own weight standard deviation (seeded; biases kept), keeping the layers
 * above randomised; after each step the method explains the item again on that model, built in memory. Spearman
 * rank correlation and SSIM (skimage's, 7 × 7 uniform window, on the planes min-max scaled to [0, 1]) compare the
 * original and the randomised maps (|·| summed over channels, or signed with absolute=false). With more weighted
 * layers than `layers` steps, consecutive layers are grouped evenly. A faithful method's maps decorrelate.
 */
import type { MetricCurve, RandomisationStep } from '../../protocol/types';
import type { Node } from '../ir/graph';
import { ConstTensor, DataType } from '../ir/tensor';
import { Rng } from '../reconstruct/rng';
import { cancelled, invalidParams } from '../errors';
import { boolean, integer } from '../methods/params';
import { defineMetric } from './types';
import { geometry, pixelRelevance } from './pixels';
import { minMax, spearman, ssim } from './similarity';

const WEIGHTED = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

/** The weighted layers from the output down: each node with the name of its float weight initializer. */
export function weightedLayers(nodes: readonly Node[], initializers: ReadonlyMap<string, ConstTensor>): { node: Node; weight: string }[] {
  const found: { node: Node; weight: string }[] = [];
  for (const n of nodes) {
    if (!WEIGHTED.has(n.op)) continue;
    const candidates = n.op === 'MatMul' ? [n.inputs[1], n.inputs[0]] : [n.inputs[1]];
    const weight = candidates.find((i) => i && initializers.get(i)?.dataType === DataType.FLOAT);
    if (weight) found.push({ node: n, weight });
  }
  return found.reverse();
}

/** `count` layers split into at most `steps` consecutive groups of near-equal size. */
export function groups(count: number, steps: number): [number, number][] {
  const g = Math.min(count, steps);
  return Array.from({ length: g }, (_, i) => [Math.floor((i * count) / g), Math.floor(((i + 1) * count) / g)]);
}

/** W re-drawn from N(0, std(W)²), seeded. */
function redraw(t: ConstTensor, rng: Rng): ConstTensor {
  const v = t.values() as Float32Array;
  let mean = 0;
  for (const x of v) mean += x;
  mean /= v.length;
  let sq = 0;
  for (const x of v) sq += (x - mean) ** 2;
  const std = Math.sqrt(sq / v.length);
  const out = new Float32Array(v.length);
  for (let i = 0; i < out.length; i++) out[i] = std * rng.normal();
  return ConstTensor.float32([...t.dims], out);
}

export const metric = defineMetric({
  id: 'randomisation',
  title: 'Model randomisation',
  summary: 'Adebayo et al. 2018: randomise the weights layer by layer from the top; Spearman and SSIM between the original and randomised maps (lower = the map depends on the model)',
  better: 'lower',
  params: [
    integer('layers', 'Steps', { default: 8, min: 1, max: 256, help: 'cascade steps; more weighted layers than this are grouped evenly' }),
    boolean('absolute', 'Absolute', { default: true, help: 'compare |maps| (as the paper); false: signed maps' }),
    boolean('maps', 'Maps', { default: true, help: 'report each randomised map (the panel strip)' }),
  ] as const,
  async compute(ctx, p) {
    const g = geometry(ctx);
    const graph = ctx.model.model.graph;
    const layers = weightedLayers(graph.nodes, graph.initializers);
    if (layers.length === 0) throw invalidParams('the randomisation test needs weighted layers (Conv, Gemm, MatMul with weight initializers); this model has none');
    const signed = !p.absolute;
    const original = pixelRelevance(ctx, ctx.explanation.relevance, g, signed);
    const ref = minMax(original);
    const rng = new Rng(ctx.seed);
    const replaced = new Map<string, ConstTensor>();
    const steps: RandomisationStep[] = [];
    const curve: MetricCurve = { x: [0], y: [1], xLabel: 'layers randomised (from the top)', yLabel: 'Spearman ρ' };
    const t0 = performance.now();
    const parts = groups(layers.length, p.layers);
    const summary = () => {
      const mean = (k: keyof RandomisationStep) => steps.reduce((a, s) => a + (s[k] as number), 0) / steps.length;
      // Copies: a streamed partial result must not grow with later steps.
      return { value: mean('spearman'), values: { mean_ssim: mean('ssim'), last_spearman: steps[steps.length - 1].spearman },
        curve: { ...curve, x: [...curve.x], y: [...curve.y] }, steps: [...steps] };
    };
    for (const [from, to] of parts) {
      if (ctx.token.isCancellationRequested) throw cancelled();
      for (let i = from; i < to; i++) {
        const { weight } = layers[i];
        replaced.set(weight, redraw(replaced.get(weight) ?? graph.initializers.get(weight)!, rng));
      }
      const model = ctx.model.withInitializers(replaced);
      let map;
      try {
        map = await ctx.explain(ctx.input, model);
      } finally {
        await model.dispose();
      }
      const plane = pixelRelevance(ctx, map, g, signed);
      const names = layers.slice(from, to).map((l) => l.node.name || l.node.outputs[0]);
      const rho = spearman(original, plane);
      const step: RandomisationStep = {
        layer: names.length === 1 ? names[0] : `${names[0]} … ${names[names.length - 1]} (${names.length} layers)`,
        spearman: rho,
        ssim: ssim(ref, minMax(plane), g.H, g.W, 1),
        ...(p.maps ? { map: { data: Float32Array.from(plane), dims: [g.H, g.W] } } : {}),
      };
      steps.push(step);
      curve.x.push(to);
      curve.y.push(rho);
      // Each step streams as it completes: the panel's strip grows one map at a time.
      ctx.progress({ fraction: steps.length / parts.length, result: { metric: 'randomisation', method: ctx.method, item: 0, ...summary(), ms: performance.now() - t0 } });
    }
    return summary();
  },
});

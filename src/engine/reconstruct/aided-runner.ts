/** Runs the compiled aided step (aided-graph.ts): parameters, taps and weighting in; ∂L/∂p, T and the priors out. */
import * as ort from 'onnxruntime-node';
import type { CompiledSession, LoadedModel } from '../model';
import { compiledFeeds } from '../compile';
import { AM_PARAM, AM_REG, AM_TAP_INDEX, AM_TAP_WEIGHT, aidedPlan, hasReg, type AidedSpec } from './aided-graph';
import { tensorShape } from './session';
import { sampleTaps, type Affine } from './transforms';

/** The same taps for every channel of an item: (N, 1, K) → (N, C, K). */
function perChannel(index: Int32Array, n: number, c: number, k: number): Int32Array {
  const out = new Int32Array(n * c * k);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) out.set(index.subarray(b * k, (b + 1) * k), (b * c + ch) * k);
  return out;
}

export class AidedRunner {
  private constructor(private readonly cs: CompiledSession, private readonly spec: AidedSpec, private readonly targetDims: number[]) {}

  static async open(model: LoadedModel, spec: AidedSpec, target: string): Promise<AidedRunner> {
    const targetDims = await tensorShape(model, spec.dims, target);
    const cs = await model.compiledSession('reconstruct', aidedPlan(spec), target, spec.dims);
    return new AidedRunner(cs, spec, targetDims);
  }

  /** One step at parameters p (and one affine per item when the plan resamples): ∂L/∂p, the target tensor, R(x). */
  async run(p: Float32Array, weights: Float32Array, maps?: Affine[]): Promise<{ grad: Float32Array; target: Float32Array; reg: number }> {
    const { dims, fourier, transforms, reg } = this.spec;
    const [n, c, h, w] = dims;
    const feeds: Record<string, ort.Tensor> = { [AM_PARAM]: new ort.Tensor('float32', p, fourier ? [2, n, c, h, w] : dims) };
    if (transforms) {
      if (!maps) throw new Error('internal: the aided graph resamples, but no affine maps were given');
      const taps = sampleTaps(dims, maps);
      feeds[AM_TAP_INDEX] = new ort.Tensor('int32', perChannel(taps.index, n, c, 4 * h * w), [n, c, 4 * h * w]);
      feeds[AM_TAP_WEIGHT] = new ort.Tensor('float32', taps.weight, [n, 1, h * w, 4]);
    }
    for (const [name, t] of compiledFeeds(this.cs.compiled, { params: {}, weights: { data: weights, dims: this.targetDims } })) {
      feeds[name] = new ort.Tensor('float32', t.data, t.dims);
    }
    const { relevance, targetTensor } = this.cs.compiled;
    const fetch = hasReg(reg) ? [relevance, targetTensor, AM_REG] : [relevance, targetTensor];
    const out = await this.cs.session.run(feeds, fetch);
    const result = {
      grad: Float32Array.from(out[relevance].data as Float32Array),
      target: Float32Array.from(out[targetTensor].data as Float32Array),
      reg: hasReg(reg) ? (out[AM_REG].data as Float32Array)[0] : 0,
    };
    for (const name of fetch) out[name].dispose();
    return result;
  }
}

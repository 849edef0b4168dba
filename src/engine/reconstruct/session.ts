/** ORT plumbing shared by the reconstruction loops: compiled sessions for gradients, feature matching and features. */
import * as ort from 'onnxruntime-node';
import type { TargetSpec } from '../../protocol/types';
import type { CompiledSession, LoadedModel } from '../model';
import { compiledFeeds } from '../compile';
import type { GraphPlan } from '../plans/types';
import { GRADIENT_PLAN } from '../plans/backward';
import { FEATURE_MATCH_PLAN, FEATURES_PLAN } from '../plans/reconstruct';
import { resolveTarget, type ResolvedTarget } from '../targets';
import { invalidParams } from '../errors';
import { nodesBetween } from '../backward/backward';

export type SessionKind = 'gradient' | 'feature-match' | 'features';

const PLANS: Record<SessionKind, GraphPlan> = { gradient: GRADIENT_PLAN, 'feature-match': FEATURE_MATCH_PLAN, features: FEATURES_PLAN };

/** Shapes of every tensor at this input shape; errors name a missing tensor clearly. */
export async function tensorShape(model: LoadedModel, dims: number[], tensor: string): Promise<number[]> {
  const p = await model.prepare(dims, false);
  const s = p.shapes.get(tensor);
  if (!s) throw invalidParams(`no tensor named '${tensor}' in this model; list tensors with 'featurevis layers'`);
  if (tensor !== model.inputName && nodesBetween(p.graph, [model.inputName], tensor).length === 0) {
    throw invalidParams(`the tensor '${tensor}' does not depend on the input`);
  }
  return s;
}

export async function resolveFor(model: LoadedModel, dims: number[], spec: TargetSpec): Promise<ResolvedTarget> {
  const p = await model.prepare(dims, false);
  const r = resolveTarget(spec, p.graph, p.shapes, model.labels);
  await tensorShape(model, dims, r.tensor);
  return r;
}

export class Runner {
  private constructor(readonly model: LoadedModel, readonly cs: CompiledSession, readonly dims: number[], readonly targetDims: number[]) {}

  static async open(model: LoadedModel, kind: SessionKind, target: string, dims: number[]): Promise<Runner> {
    const targetDims = await tensorShape(model, dims, target);
    const cs = await model.compiledSession('reconstruct', PLANS[kind], target, dims);
    return new Runner(model, cs, dims, targetDims);
  }

  /** One run: the signal w.r.t. the input (absent for 'features') and the target tensor's value. */
  async run(x: Float32Array, weight?: Float32Array): Promise<{ grad: Float32Array; target: Float32Array }> {
    const feeds: Record<string, ort.Tensor> = { [this.model.inputName]: new ort.Tensor('float32', x, this.dims) };
    const values = compiledFeeds(this.cs.compiled, { params: {}, weights: weight && { data: weight, dims: this.targetDims } });
    for (const [name, t] of values) feeds[name] = new ort.Tensor('float32', t.data, t.dims);
    const out = await this.cs.session.run(feeds, [this.cs.compiled.relevance, this.cs.compiled.targetTensor]);
    const rel = out[this.cs.compiled.relevance];
    const tgt = out[this.cs.compiled.targetTensor];
    const result = { grad: Float32Array.from(rel.data as Float32Array), target: Float32Array.from(tgt.data as Float32Array) };
    rel.dispose();
    tgt.dispose();
    return result;
  }
}

export { perItemDot } from '../batch-math';

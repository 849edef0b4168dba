/** ORT plumbing shared by the reconstruction loops: compiled sessions for gradients, feature matching and features. */
import * as ort from 'onnxruntime-node';
import type { TargetSpec } from '../../protocol/types';
import type { CompiledSession, LoadedModel } from '../model';
import { INPUT_NAMES, type GraphPlan } from '../compile';
import { resolveTarget, type ResolvedTarget } from '../targets';
import { invalidParams } from '../errors';
import { nodesBetween } from '../backward/backward';

export type SessionKind = 'gradient' | 'feature-match' | 'features';

const PLANS: Record<SessionKind, GraphPlan> = {
  gradient: { kind: 'backward', rulesFor: () => ({ activation: 'gradient', linear: 'gradient' }), betaIsZero: false, timesInput: false },
  'feature-match': { kind: 'feature-match' },
  features: { kind: 'features' },
};

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
    const cs = await model.compiledSession(`reconstruct|${kind}`, PLANS[kind], target, dims, false);
    return new Runner(model, cs, dims, targetDims);
  }

  /** One run: the signal w.r.t. the input (absent for 'features') and the target tensor's value. */
  async run(x: Float32Array, weight?: Float32Array): Promise<{ grad: Float32Array; target: Float32Array }> {
    const feeds: Record<string, ort.Tensor> = { [this.model.inputName]: new ort.Tensor('float32', x, this.dims) };
    const c = this.dims[1];
    const boundShape = [1, c, ...this.dims.slice(2).map(() => 1)];
    for (const name of this.cs.compiled.inputs) {
      if (name === INPUT_NAMES.weight) {
        feeds[name] = new ort.Tensor('float32', weight ?? new Float32Array(this.targetDims.reduce((a, b) => a * b, 1)), this.targetDims);
      } else if (name === INPUT_NAMES.low || name === INPUT_NAMES.high) {
        feeds[name] = new ort.Tensor('float32', new Float32Array(c).fill(name === INPUT_NAMES.low ? -1 : 1), boundShape);
      } else feeds[name] = new ort.Tensor('float32', Float32Array.of(name === INPUT_NAMES.alpha ? 1 : name === INPUT_NAMES.eps ? 1e-9 : 0), []);
    }
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

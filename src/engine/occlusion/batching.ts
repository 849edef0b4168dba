/**
 * Forward passes for occlusion: a session that outputs the target tensor (the model's own forward session when the
 * target is a graph output, else the model with that tensor added to its outputs, cached per model), and the batch
 * size (windows per run) sized to a memory budget.
 */
import * as ort from 'onnxruntime-node';
import { cloneGraph, producers } from '../ir/graph';
import { encodeModel } from '../onnx/codec';
import { DataType } from '../ir/tensor';
import { sessionOptions, type LoadedModel } from '../model';
import { FeatureVisError, invalidParams } from '../errors';

const sessions = new WeakMap<LoadedModel, Map<string, Promise<ort.InferenceSession>>>();
const MAX_EXTRA_SESSIONS = 4;

/** A session whose outputs include `tensor`. */
export function targetSession(model: LoadedModel, tensor: string): Promise<ort.InferenceSession> {
  const g = model.model.graph;
  if (g.outputs.some((o) => o.name === tensor)) return model.forwardSession();
  let cache = sessions.get(model);
  if (!cache) sessions.set(model, (cache = new Map()));
  const hit = cache.get(tensor);
  if (hit) return hit;
  if (!producers(g).has(tensor)) {
    return Promise.reject(invalidParams(`the target tensor '${tensor}' is not computed by any node of this model, so occluding the input cannot change it`));
  }
  const p = (async () => {
    const graph = cloneGraph(g);
    graph.outputs.push({ name: tensor, elemType: DataType.FLOAT });
    const bytes = encodeModel({ ...model.model, graph });
    try {
      return await ort.InferenceSession.create(bytes, sessionOptions(model.settings));
    } catch (e) {
      throw new FeatureVisError('Internal', `onnxruntime could not build a forward session with '${tensor}' as an output: ${(e as Error).message.split('\n')[0]}`);
    }
  })();
  p.catch(() => cache!.delete(tensor));
  cache.set(tensor, p);
  while (cache.size > MAX_EXTRA_SESSIONS) {
    const [k, old] = cache.entries().next().value as [string, Promise<ort.InferenceSession>];
    cache.delete(k);
    void old.then((s) => s.release()).catch(() => undefined);
  }
  return p;
}

/** Budget for the occluded input tensors held at once (two batches in flight: one running, one being filled). */
export const INPUT_BUDGET_BYTES = 256 * 1024 * 1024;
/** Beyond this, larger CPU batches no longer raise throughput but grow activation memory. */
export const MAX_AUTO_BATCH = 16;

/**
 * Rows per forward pass. `requested` > 0 is taken as given; 0 = auto: as many windows as fit two batches of input
 * tensors in the budget, at most MAX_AUTO_BATCH, at most the number of windows. A model with a fixed batch
 * dimension always runs with exactly that many rows (padding the last batch).
 */
export function batchSize(requested: number, itemFloats: number, jobs: number, fixedBatch?: number): number {
  if (fixedBatch && fixedBatch > 0) return fixedBatch;
  if (requested > 0) return Math.min(requested, Math.max(1, jobs));
  const fit = Math.floor(INPUT_BUDGET_BYTES / (2 * 4 * itemFloats));
  return Math.max(1, Math.min(MAX_AUTO_BATCH, fit, jobs));
}

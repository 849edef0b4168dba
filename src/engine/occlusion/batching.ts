/**
 * Forward passes for occlusion: a session that outputs the target tensor (the model's own forward session when the
 * target is a graph output, else the model with that tensor added to its outputs, held in the shared memory budget), and the batch
 * size (windows per run) sized to a memory budget.
 */
import { cloneGraph, producers } from '../ir/graph';
import { DataType } from '../ir/tensor';
import type { LoadedModel } from '../model';
import type { SessionRunner } from '../budgeted-session';
import { invalidParams } from '../errors';

/** A session whose outputs include `tensor`: the model's forward session, or a derived one in the memory budget. */
export async function targetSession(model: LoadedModel, tensor: string): Promise<SessionRunner> {
  const g = model.model.graph;
  if (g.outputs.some((o) => o.name === tensor)) return model.forwardSession();
  if (!producers(g).has(tensor)) {
    throw invalidParams(`the target tensor '${tensor}' is not computed by any node of this model, so occluding the input cannot change it`);
  }
  return model.derivedSession(`output|${tensor}`, () => {
    const graph = cloneGraph(g);
    graph.outputs.push({ name: tensor, elemType: DataType.FLOAT });
    return { ...model.model, graph };
  }, `a forward session with '${tensor}' as an output`).ready();
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

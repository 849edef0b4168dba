/**
 * Runs incremental occlusion: one forward of the model with every tensor the patches read as an output (the clean
 * activations, once per image), then per batch of windows the incremental graph (incremental-graph.ts), fed the
 * filled window regions of the input and the Gather indices of every crop (incremental-regions.ts). Both sessions
 * are held in the shared memory budget per model and graph signature (target, input size, region sizes).
 */
import * as ort from 'onnxruntime-node';
import type { TensorData } from '../../protocol/types';
import { cloneGraph } from '../ir/graph';
import { DataType } from '../ir/tensor';
import type { LoadedModel } from '../model';
import type { BudgetedSession } from '../budgeted-session';
import { invalidParams } from '../errors';
import type { WindowGrid } from './windows';
import { cropIndices, type Region } from './incremental-regions';
import { planIncremental, type IncrementalPlan } from './incremental-graph';

export interface IncrementalOptions {
  mode: 'exact' | 'approx';
  /** approx only: Krypton's projective-field threshold τ. */
  tau: number;
  target: string;
  grid: WindowGrid;
  /** The (N, C, H, W) input. */
  dims: number[];
}

interface Entry {
  plan: IncrementalPlan;
  session: BudgetedSession;
  clean: BudgetedSession;
  /** What the clean forward fetches: the target and every clean activation a patch reads. */
  cleanOutputs: string[];
}

/** The input's region: the box at every window start, grid windows row-major. */
export function inputRegion(grid: WindowGrid): Region {
  const cols = grid.counts[1];
  const ys = new Int32Array(grid.total);
  const xs = new Int32Array(grid.total);
  for (let w = 0; w < grid.total; w++) {
    ys[w] = grid.starts[0][Math.floor(w / cols)];
    xs[w] = grid.starts[1][w % cols];
  }
  return [{ size: grid.box[0], full: grid.size[0], starts: ys }, { size: grid.box[1], full: grid.size[1], starts: xs }];
}

/**
 * What the emitted graph depends on: which tensors are patched at which sizes and which crops are gathered (window
 * starts only enter the indices), so another stride with the same region sizes reuses the sessions.
 */
function signature(plan: IncrementalPlan, target: string, dims: number[]): string {
  return JSON.stringify([target, dims.slice(1), [...plan.regions].map(([t, r]) => [t, r[0].size, r[1].size]),
    plan.gathers.map((g) => [g.source, g.crop[0].size, g.crop[1].size]), plan.cleans.map((c) => c.tensor)]);
}

async function entryFor(model: LoadedModel, o: IncrementalOptions): Promise<Entry | { reason: string }> {
  const { shapes, values } = await model.probe(o.dims);
  const plan = planIncremental(model.model, shapes, {
    inputName: model.inputName, target: o.target, input: inputRegion(o.grid), tau: o.mode === 'approx' ? o.tau : undefined,
  }, values);
  if ('reason' in plan) return plan;
  // Both graphs live in the memory budget shared with the explanation sessions; their weights stay in the file.
  const cleanOutputs = [o.target, ...plan.cleans.map((c) => c.tensor).filter((t) => t !== model.inputName)];
  const what = 'the incremental occlusion graph';
  const session = model.derivedSession(`incremental|${signature(plan, o.target, o.dims)}`, () => plan.model, what);
  const clean = model.derivedSession(`incremental-clean|${JSON.stringify(cleanOutputs)}`, () => {
    const graph = cloneGraph(model.model.graph);
    graph.outputs = cleanOutputs.map((name) => ({ name, elemType: DataType.FLOAT }));
    return { ...model.model, graph };
  }, what);
  await Promise.all([session.ready(), clean.ready()]);
  return { plan, session, clean, cleanOutputs };
}

/** (N, C, H, W) → (N · H · W, C) rows, the layout the crops gather from. */
function toRows(data: Float32Array, n: number, c: number, plane: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const src = (b * c + ch) * plane;
      let k = b * plane * c + ch;
      for (let p = 0; p < plane; p++, k += c) out[k] = data[src + p];
    }
  }
  return out;
}

export class IncrementalRunner {
  private cleanFeeds: Record<string, ort.Tensor> = {};

  private constructor(private readonly model: LoadedModel, private readonly entry: Entry, private readonly o: IncrementalOptions) {}

  /** A runner, or why incremental inference does not apply to this model and target. */
  static async create(model: LoadedModel, o: IncrementalOptions): Promise<IncrementalRunner | { reason: string }> {
    const e = await entryFor(model, o);
    return 'plan' in e ? new IncrementalRunner(model, e, o) : e;
  }

  /** Window region sizes (h, w) and map sizes (H, W) of every patched window op, one row each. */
  extras(): Record<string, TensorData | string> {
    const p = this.entry.plan.patched;
    const data = new Float32Array(p.length * 4);
    p.forEach((x, i) => data.set([x.region[0].size, x.region[1].size, x.region[0].full, x.region[1].full], i * 4));
    return {
      incrementalRegions: { data, dims: [p.length, 4] },
      incrementalLayers: p.map((x) => x.tensor).join('\n'),
      ...(this.entry.plan.fullFrom ? { incrementalFullFrom: this.entry.plan.fullFrom } : {}),
    };
  }

  /** The clean forward of all N items: keeps the clean activations and returns the target tensor. */
  async clean(input: Float32Array): Promise<Float32Array> {
    const [N, , H, W] = this.o.dims;
    const out = await this.entry.clean.run({ [this.model.inputName]: new ort.Tensor('float32', input, this.o.dims) }, this.entry.cleanOutputs);
    this.cleanFeeds = {};
    for (const c of this.entry.plan.cleans) {
      const data = c.tensor === this.model.inputName ? input : (out[c.tensor].data as Float32Array);
      const plane = c.tensor === this.model.inputName ? H * W : data.length / (N * c.channels);
      this.cleanFeeds[c.input] = new ort.Tensor('float32', toRows(data, N, c.channels, plane), [N * plane, c.channels]);
    }
    return out[this.o.target].data as Float32Array;
  }

  /**
   * One batch: row r occludes grid window windows[r] of item items[r]; `patch` holds the filled window regions,
   * (rows, C, box h, box w). Returns the target tensor of every row.
   */
  async run(windows: Int32Array, items: Int32Array, patch: Float32Array, perTarget: number): Promise<Float32Array> {
    const { plan } = this.entry;
    const rows = windows.length;
    const [, C] = this.o.dims;
    const [bh, bw] = this.o.grid.box;
    const feeds: Record<string, ort.Tensor> = {
      ...this.cleanFeeds,
      [plan.patchInput]: new ort.Tensor('float32', patch.subarray(0, rows * C * bh * bw), [rows, C, bh, bw]),
    };
    const N = this.o.dims[0];
    for (const g of plan.gathers) {
      const idx = cropIndices(g.crop, plan.regions.get(g.source)!, N, windows, items);
      feeds[g.input] = new ort.Tensor('int32', idx, [idx.length]);
    }
    const out = await this.entry.session.run(feeds, [this.o.target]);
    const result = out[this.o.target].data as Float32Array;
    if (result.length !== rows * perTarget) {
      throw invalidParams(`the target tensor '${this.o.target}' has ${result.length / rows} values per item in batched runs but ${perTarget} for the input; occlusion needs a target whose size per item does not depend on the batch`);
    }
    return result;
  }
}

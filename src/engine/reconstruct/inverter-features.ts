/**
 * Training pairs for the generative inverter: each image of the folder decoded to the model's input x and its
 * features Φ(x) computed by ONNX Runtime (never by TF.js), in ORT batches the model accepts. Pairs are kept in memory
 * up to a byte budget so small sets are not recomputed every epoch; beyond it they are recomputed, so memory stays
 * bounded for any folder size. An unreadable image is skipped with a note the first time.
 */
import * as path from 'node:path';
import type { LoadedModel } from '../model';
import { loadImageFile, type Preprocessing } from '../preprocess';
import { Runner } from './session';

export interface TrainingPair {
  x: Float32Array;
  f: Float32Array;
}

export class FeatureCache {
  private readonly runners = new Map<number, Promise<Runner>>();
  private readonly cache = new Map<number, TrainingPair>();
  private cacheBytes = 0;
  readonly notes: string[] = [];
  private readonly bad = new Set<number>();

  /** `inputDims` (1, C, H, W): what `pre` decodes each image to; `cacheLimit` in bytes. */
  constructor(private readonly model: LoadedModel, private readonly layer: string, private readonly pre: Preprocessing, private readonly inputDims: number[],
    private readonly folder: string, private readonly files: string[], private readonly cacheLimit: number) {}

  private runner(k: number): Promise<Runner> {
    let r = this.runners.get(k);
    if (!r) {
      r = Runner.open(this.model, 'features', this.layer, [k, ...this.inputDims.slice(1)]);
      this.runners.set(k, r);
    }
    return r;
  }

  /** Pairs for these file indices, in order (unreadable files dropped). */
  async get(indices: number[]): Promise<TrainingPair[]> {
    const out: (TrainingPair | undefined)[] = indices.map((i) => this.cache.get(i));
    const missing = this.decode(indices, out);
    const [, C, H, W] = this.inputDims;
    const per = C * H * W;
    for (let s = 0; s < missing.length;) {
      const k = this.model.fixedBatch ?? missing.length - s;
      const group = missing.slice(s, s + k);
      const x = new Float32Array(k * per);
      group.forEach((g, i) => x.set(g.x, i * per));
      const { target } = await (await this.runner(k)).run(x);
      const fper = target.length / k;
      group.forEach((g, i) => {
        const pair = { x: g.x, f: target.slice(i * fper, (i + 1) * fper) };
        out[g.slot] = pair;
        this.keep(g.index, pair);
      });
      s += group.length;
    }
    return out.filter((v): v is TrainingPair => v !== undefined);
  }

  /** Decodes the images not cached yet (slots of `out` still empty). */
  private decode(indices: number[], out: (TrainingPair | undefined)[]): { slot: number; index: number; x: Float32Array }[] {
    const missing: { slot: number; index: number; x: Float32Array }[] = [];
    const [, C, H, W] = this.inputDims;
    indices.forEach((index, slot) => {
      if (out[slot] || this.bad.has(index)) return;
      try {
        const t = loadImageFile(path.join(this.folder, this.files[index]), this.pre);
        if (t.dims[1] !== C || t.dims[2] !== H || t.dims[3] !== W) throw new Error(`decoded to [${t.dims.join(', ')}], the model needs [1, ${C}, ${H}, ${W}]`);
        missing.push({ slot, index, x: t.data });
      } catch (e) {
        this.bad.add(index);
        this.notes.push(`skipped ${this.files[index]} (${(e as Error).message})`);
      }
    });
    return missing;
  }

  private keep(index: number, pair: TrainingPair): void {
    const bytes = 4 * (pair.x.length + pair.f.length);
    if (this.cacheBytes + bytes <= this.cacheLimit) {
      this.cache.set(index, pair);
      this.cacheBytes += bytes;
    }
  }
}

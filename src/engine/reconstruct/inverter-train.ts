/**
 * Training the generative inverter (Dosovitskiy & Brox 2016): the decoder D (inverter-decoder.ts) learns
 * D(Φ(x)) ≈ x, with Φ(x) the model's tensor at the chosen layer and x the model-input tensor of a training image
 * (the model's normalised input space). Loss: mean squared error over pixels and channels; optimiser: Adam.
 * Features are multiplied by one scalar (1 / their RMS on the first training batch, stored with the decoder) so the
 * learning rate does not depend on the layer's scale.
 *
 * Each epoch visits the folder's images in a seeded random order, in batches (inverter-features.ts decodes them and
 * caches the pairs); cancellation is checked between batches. After every epoch the checkpoint is written
 * (inverter-checkpoint.ts). Resuming loads the last saved epoch and continues to `epochs`: the weights, Adam's state
 * and the loss history continue. Only the train-inverter command calls this, so its messages name that command's
 * flags.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import type { LoadedModel } from '../model';
import type { CancellationToken } from '../methods/run-context';
import { FeatureVisError, invalidInput, invalidParams, paramError } from '../errors';
import type { Preprocessing } from '../preprocess';
import { sha256File } from './file-hash';
import { FORMAT, hasCheckpoint, loadDecoder, readMeta, restoreOptimizer, saveCheckpoint, type InverterMeta } from './inverter-checkpoint';
import { Decoder, decoderSpec, toNhwc } from './inverter-decoder';
import { FeatureCache, type TrainingPair } from './inverter-features';
import { runSteps } from './optimise-loop';
import { listFolder } from './patch-replace';
import { Rng } from './rng';
import { tensorShape } from './session';
import { loadTf, type Tf } from './tf';

export const TRAIN_DEFAULTS = { epochs: 10, batch: 8, lr: 1e-3, seed: 0, cacheMb: 256 };

export interface TrainOptions {
  model: LoadedModel;
  layer: string;
  images: string;
  out: string;
  epochs?: number;
  batch?: number;
  lr?: number;
  /** Spatial size for models whose input size is not fixed. */
  size?: [number, number];
  resume?: boolean;
  seed?: number;
  /** Memory for cached (input, features) pairs, in MB. */
  cacheMb?: number;
  token?: CancellationToken;
  /** Called after every batch (epoch, batch loss) and every epoch (epochLoss set). */
  progress?: (p: TrainProgress) => void;
}

export interface TrainProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  batchLoss: number;
  epochLoss?: number;
  imagesPerSecond?: number;
  message: string;
}

export interface TrainResult {
  meta: InverterMeta;
  notes: string[];
  imagesPerSecond: number;
  resumedFrom: number;
}

type Settings = typeof TRAIN_DEFAULTS;

function settingsOf(o: TrainOptions): Settings {
  const d = TRAIN_DEFAULTS;
  const s = { epochs: o.epochs ?? d.epochs, batch: o.batch ?? d.batch, lr: o.lr ?? d.lr, seed: o.seed ?? d.seed, cacheMb: o.cacheMb ?? d.cacheMb };
  if (!Number.isInteger(s.epochs) || s.epochs < 1) throw invalidParams(`--epochs must be a whole number ≥ 1, got ${s.epochs}`);
  if (!Number.isInteger(s.batch) || s.batch < 1) throw invalidParams(`--batch must be a whole number ≥ 1, got ${s.batch}`);
  if (!(s.lr > 0)) throw invalidParams(`--lr must be positive, got ${s.lr}`);
  if (!o.layer) throw paramError('layer', 'is required: the tensor whose features the decoder inverts; list tensors with featurevis layers');
  return s;
}

function inputDimsFor(model: LoadedModel, size?: [number, number]): number[] {
  const dims = model.inputShapeFor(1);
  if (dims.length !== 4) throw invalidParams(`the generative inverter needs an image model (N, C, H, W); the input has shape [${dims.join(', ')}]`);
  if (size) {
    model.inputDims.slice(2).forEach((d, i) => {
      if (typeof d === 'number' && d > 0 && d !== size[i]) {
        throw invalidParams(`--size ${size.join(',')} does not fit this model: its input '${model.inputName}' has a fixed spatial size ${model.inputDims.slice(2).join('×')}`);
      }
    });
    dims[2] = size[0];
    dims[3] = size[1];
  }
  return dims;
}

/** The model's preprocessing, stretched to the training size when that differs from the model's own. */
function preprocessingAt(model: LoadedModel, inputDims: number[]): Preprocessing {
  const pre = model.preprocessing();
  return pre.size[0] === inputDims[2] && pre.size[1] === inputDims[3] ? pre : { ...pre, size: [inputDims[2], inputDims[3]], resize: { mode: 'stretch' } };
}

interface Run {
  o: TrainOptions;
  s: Settings;
  tf: Tf;
  backend: string;
  out: string;
  folder: string;
  sha: string;
  inputDims: number[];
  featureDims: number[];
}

/** A fresh decoder, or the checkpoint in `out` when resuming (refused when it does not fit this run). */
function openCheckpoint(r: Run): { decoder: Decoder; meta?: InverterMeta; notes: string[] } {
  const { o, out } = r;
  const found = hasCheckpoint(out);
  if (found && !o.resume) throw invalidParams(`${out} already holds a trained inverter; pass --resume to continue training it, or choose another --out`);
  if (!found) {
    const notes = o.resume ? [`nothing to resume in ${out}; started from scratch`] : [];
    return { decoder: Decoder.create(r.tf, decoderSpec(r.featureDims, r.inputDims), r.s.seed), notes };
  }
  const meta = readMeta(out);
  if (meta.layer !== o.layer) throw invalidParams(`the checkpoint in ${out} was trained for layer '${meta.layer}', not '${o.layer}'`);
  if (meta.model.sha256 !== r.sha) throw invalidParams(`the checkpoint in ${out} was trained on another model file (${meta.model.file}, different contents)`);
  if (meta.inputDims.join() !== r.inputDims.join()) throw invalidParams(`the checkpoint in ${out} was trained at input [${meta.inputDims.join(', ')}], not [${r.inputDims.join(', ')}]`);
  return { decoder: loadDecoder(r.tf, out), meta, notes: [] };
}

/** The epoch's visiting order: a seeded Fisher–Yates shuffle of 0 … n − 1. */
function shuffled(n: number, seed: number, epoch: number): number[] {
  const rng = new Rng(seed * 7919 + epoch + 1);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

class Trainer {
  featureScale: number;
  imagesDone = 0;
  trainMs = 0;

  constructor(private readonly r: Run, private readonly decoder: Decoder, private readonly optimizer: TF.AdamOptimizer, private readonly src: FeatureCache,
    private readonly images: number, meta: InverterMeta | undefined) {
    this.featureScale = meta?.featureScale ?? 0;
  }

  get imagesPerSecond(): number {
    return this.imagesDone / (this.trainMs / 1000);
  }

  /** One pass over the folder: the mean loss per image, the loss of each batch and how many images were read. */
  async epoch(epoch: number): Promise<{ loss: number; batchLosses: number[]; count: number }> {
    const { batch, epochs } = this.r.s;
    const order = shuffled(this.images, this.r.s.seed, epoch);
    const batches = Math.ceil(this.images / batch);
    let sum = 0;
    let count = 0;
    const batchLosses = await runSteps({
      steps: batches, token: this.r.o.token,
      step: async (b) => {
        const pairs = await this.src.get(order.slice(b * batch, (b + 1) * batch));
        if (pairs.length === 0) return undefined;
        const loss = await this.step(pairs, epoch);
        sum += loss * pairs.length;
        count += pairs.length;
        return loss;
      },
      report: (b, loss) => this.r.o.progress?.({
        epoch: epoch + 1, epochs, batch: b + 1, batches, batchLoss: loss,
        message: `epoch ${epoch + 1}/${epochs}, batch ${b + 1}/${batches}: loss ${loss.toPrecision(4)}`,
      }),
    });
    if (count === 0) throw invalidInput(`no readable images in ${this.r.folder}: ${this.src.notes.join('; ')}`);
    return { loss: sum / count, batchLosses, count };
  }

  /** One Adam step on a batch of pairs; its loss. */
  private async step(pairs: TrainingPair[], epoch: number): Promise<number> {
    const { tf, inputDims, featureDims } = this.r;
    const [, C, H, W] = inputDims;
    const k = pairs.length;
    const fper = pairs[0].f.length;
    if (this.featureScale === 0) {
      let s = 0;
      let n = 0;
      for (const it of pairs) for (const v of it.f) { s += v * v; n++; }
      this.featureScale = 1 / Math.max(Math.sqrt(s / n), 1e-6);
    }
    const f = new Float32Array(k * fper);
    const x = new Float32Array(k * C * H * W);
    pairs.forEach((it, i) => {
      for (let j = 0; j < fper; j++) f[i * fper + j] = it.f[j] * this.featureScale;
      x.set(it.x, i * C * H * W);
    });
    const t0 = performance.now();
    const ft = toNhwc(tf, f, [k, ...featureDims.slice(1)]);
    const xt = toNhwc(tf, x, [k, C, H, W]);
    const lossT = this.optimizer.minimize(() => tf.losses.meanSquaredError<TF.Tensor, TF.Scalar>(xt, this.decoder.apply(ft)), true, this.decoder.vars);
    if (!lossT) throw new FeatureVisError('Internal', 'the optimiser returned no loss');
    const loss = (await lossT.data())[0];
    tf.dispose([ft, xt, lossT]);
    this.trainMs += performance.now() - t0;
    this.imagesDone += k;
    if (!Number.isFinite(loss)) throw new FeatureVisError('Internal', `training diverged at epoch ${epoch + 1} (loss ${loss}); try a smaller --lr`);
    return loss;
  }
}

export async function trainInverter(o: TrainOptions): Promise<TrainResult> {
  const s = settingsOf(o);
  const { model, layer } = o;
  const inputDims = inputDimsFor(model, o.size);
  const featureDims = await tensorShape(model, inputDims, layer);
  const folder = path.resolve(o.images);
  const { files, notes: listNotes } = listFolder(folder);
  const names = files.map((f) => f.name);
  const out = path.resolve(o.out);
  fs.mkdirSync(out, { recursive: true });
  const sha = sha256File(model.path);
  const { tf, pkg, backend } = await loadTf();
  const r: Run = { o, s, tf, backend: `${pkg} (${backend})`, out, folder, sha, inputDims, featureDims };

  const start = openCheckpoint(r);
  let meta = start.meta;
  const { decoder } = start;
  const resumedFrom = meta?.epoch ?? 0;
  const notes = [...listNotes, ...start.notes];
  const src = new FeatureCache(model, layer, preprocessingAt(model, inputDims), inputDims, folder, names, s.cacheMb * 1024 * 1024);
  const optimizer = tf.train.adam(s.lr);
  if (meta && !(await restoreOptimizer(tf, optimizer, decoder, out))) notes.push('no usable optimizer state in the checkpoint; Adam restarted');
  const trainer = new Trainer(r, decoder, optimizer, src, names.length, meta);
  const lossHistory = [...(meta?.loss ?? [])];
  try {
    for (let epoch = resumedFrom; epoch < s.epochs; epoch++) {
      const e = await trainer.epoch(epoch);
      lossHistory.push(e.loss);
      meta = {
        format: FORMAT, version: 1, model: { file: path.basename(model.path), sha256: sha }, layer, inputDims, featureDims, featureScale: trainer.featureScale,
        epoch: epoch + 1, loss: lossHistory, lastEpochBatches: e.batchLosses,
        settings: { batch: s.batch, lr: s.lr, seed: s.seed, images: folder, trainedImages: e.count }, backend: r.backend,
      };
      await saveCheckpoint(decoder, optimizer, out, meta);
      const ips = trainer.imagesPerSecond;
      const batches = Math.ceil(names.length / s.batch);
      o.progress?.({
        epoch: epoch + 1, epochs: s.epochs, batch: batches, batches,
        batchLoss: e.batchLosses[e.batchLosses.length - 1], epochLoss: e.loss, imagesPerSecond: ips,
        message: `epoch ${epoch + 1}/${s.epochs}: loss ${e.loss.toPrecision(4)} (${e.count} images, ${ips.toFixed(1)} images/s)`,
      });
    }
  } finally {
    optimizer.dispose();
    decoder.dispose();
  }
  if (!meta) throw invalidParams(`the checkpoint in ${out} is already at epoch ${resumedFrom}; ask for more --epochs to continue`);
  return { meta, notes: [...notes, ...src.notes], imagesPerSecond: trainer.imagesDone > 0 ? trainer.imagesPerSecond : 0, resumedFrom };
}

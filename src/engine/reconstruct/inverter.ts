/**
 * Generative inversion (Dosovitskiy & Brox 2016, "Inverting visual representations with convolutional networks"):
 * an up-convolutional decoder D is trained so that D(Φ(x)) ≈ x, where Φ(x) is the ONNX model's tensor at a chosen
 * layer (computed by ONNX Runtime, never by TF.js) and x the model-input tensor of a training image (the model's
 * normalised input space). Loss: mean squared error over pixels and channels; optimiser: Adam. Reconstruction is then
 * one decoder forward pass.
 *
 * Decoder, for features (C_f, h, w) and an input (C, H, W): 3×3 conv (width w₀) + leaky ReLU(0.2); then s =
 * ⌈log₂ max(H/h, W/w)⌉ stages of [×2 sub-pixel up-convolution + leaky ReLU, 3×3 conv + leaky ReLU], halving the
 * width each stage (w₀ = clamp(C_f, 32, 128), never below 16); a linear 3×3 conv to C channels; a centre crop to
 * H×W when 2^s overshoots. Rank-2 features (N, C_f) first go through a dense layer to a 4×4 map. Features are
 * multiplied by one scalar (1 / their RMS on the first training batch, stored with the decoder) so the learning
 * rate does not depend on the layer's scale.
 *
 * Training streams the folder: each epoch visits the images in a seeded random order in batches; a batch is decoded
 * and run through ORT only when needed. Decoded inputs and features are kept in memory up to `cache-mb`
 * (default 256 MB) so small sets are not recomputed every epoch; beyond that they are recomputed, so memory stays
 * bounded for any folder size. Non-images are skipped with a note; an empty folder is an error. Cancellation is
 * checked between batches. After every epoch the decoder is written to the output directory:
 *   decoder.json         the decoder layout (shapes, widths) and its parameter list
 *   decoder.weights.bin  the weights (float32, in the order of decoder.json)
 *   optimizer.bin        Adam's state (step, moments) so --resume continues exactly
 *   inverter.json        format, model file name + SHA-256, layer, input and feature shapes, feature scale, epoch,
 *                        loss history, training settings — everything `--resume` and `invert-generative` need.
 * Resuming loads the last saved epoch and continues to `epochs` (Adam's moment estimates restart; the weights and
 * the loss history continue).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExplainResult, ParamSpec, ParamValues, TensorData } from '../../protocol/types';
import type { LoadedModel } from '../model';
import type { MethodRunContext, CancellationToken } from '../methods/run-context';
import { cancelled, FeatureVisError, invalidInput, invalidParams } from '../errors';
import { loadImageFile, type Preprocessing } from '../preprocess';
import { listFolder } from './patch-replace';
import { Rng } from './rng';
import { Runner, tensorShape } from './session';
import { loadTf, type Tf } from './tf';
import type * as TF from '@tensorflow/tfjs';

export const FORMAT = 'featurevis-inverter';
export const META_FILE = 'inverter.json';
const TOPOLOGY_FILE = 'decoder.json';
const WEIGHTS_FILE = 'decoder.weights.bin';
const OPTIMIZER_FILE = 'optimizer.bin';

export interface InverterMeta {
  format: typeof FORMAT;
  version: 1;
  model: { file: string; sha256: string };
  layer: string;
  /** Model input (N = 1, C, H, W) the decoder produces. */
  inputDims: number[];
  /** The layer's shape at batch 1. */
  featureDims: number[];
  featureScale: number;
  epoch: number;
  /** Mean training loss per finished epoch. */
  loss: number[];
  /** Mean loss per batch of the last finished epoch (the fine-grained curve). */
  lastEpochBatches: number[];
  settings: { batch: number; lr: number; seed: number; images: string; trainedImages: number };
  backend: string;
}

export interface TrainOptions {
  model: LoadedModel;
  layer: string;
  images: string;
  out: string;
  epochs: number;
  batch?: number;
  lr?: number;
  /** Spatial size for models whose input size is not fixed. */
  size?: [number, number];
  resume?: boolean;
  seed?: number;
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

export function sha256File(file: string): string {
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    let n: number;
    while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
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

/**
 * The decoder as plain TF.js ops over its own variables. Convolutions are written as im2col (9 shifted slices
 * concatenated along channels) times a matrix, and the ×2 up-convolution as a 3×3 convolution to 4× the channels
 * followed by a depth-to-space shuffle (a sub-pixel convolution, equivalent to a stride-2 transposed convolution).
 * The pure-JS backend's Conv2DBackpropFilter is a naive loop (≈ 95 % of a training step, 30× slower than this),
 * whereas MatMul, slices, pads, reshapes and transposes have fast gradients.
 */
export interface DecoderSpec {
  featureDims: number[];
  inputDims: number[];
  /** Width at the feature resolution, then one per up stage. */
  widths: number[];
}

export function decoderSpec(featureDims: number[], inputDims: number[]): DecoderSpec {
  const [, , H, W] = inputDims;
  let h: number;
  let w: number;
  let width: number;
  if (featureDims.length === 4) {
    [h, w] = [featureDims[2], featureDims[3]];
    width = Math.min(128, Math.max(32, featureDims[1]));
  } else if (featureDims.length === 2) {
    [h, w] = [4, 4];
    width = 128;
  } else {
    throw invalidParams(`the layer's tensor has shape [${featureDims.join(', ')}]; the inverter needs a feature map (N, C, H, W) or a vector (N, C)`);
  }
  const stages = Math.max(0, Math.ceil(Math.log2(Math.max(H / h, W / w)) - 1e-9));
  const widths = [width];
  for (let s = 0; s < stages; s++) widths.push(Math.max(16, Math.floor(widths[widths.length - 1] / 2)));
  return { featureDims, inputDims, widths };
}

interface Param { name: string; shape: number[]; std: number }

function paramList(spec: DecoderSpec): Param[] {
  const { featureDims, inputDims, widths } = spec;
  const out: Param[] = [];
  const conv = (name: string, cin: number, cout: number, std = Math.sqrt(2 / (9 * cin))) => {
    out.push({ name: `${name}.w`, shape: [3, 3, cin, cout], std }, { name: `${name}.b`, shape: [cout], std: 0 });
  };
  if (featureDims.length === 4) conv('in', featureDims[1], widths[0]);
  else out.push({ name: 'in.w', shape: [featureDims[1], 16 * widths[0]], std: Math.sqrt(2 / featureDims[1]) }, { name: 'in.b', shape: [16 * widths[0]], std: 0 });
  for (let s = 1; s < widths.length; s++) {
    conv(`up${s}`, widths[s - 1], 4 * widths[s]);
    conv(`conv${s}`, widths[s], widths[s]);
  }
  conv('out', widths[widths.length - 1], inputDims[1], Math.sqrt(1 / (9 * widths[widths.length - 1])));
  return out;
}

export class Decoder {
  private constructor(readonly spec: DecoderSpec, readonly vars: TF.Variable[], private readonly tf: Tf) {
    this.conv3 = this.makeConv3();
  }

  static create(tf: Tf, spec: DecoderSpec, seed: number, values?: Float32Array): Decoder {
    const rng = new Rng(seed * 104729 + 17);
    const list = paramList(spec);
    let offset = 0;
    const vars = list.map((p) => {
      const n = p.shape.reduce((a, b) => a * b, 1);
      let data: Float32Array;
      if (values) {
        if (offset + n > values.length) throw invalidInput('the decoder weights file is shorter than its layout');
        data = values.slice(offset, offset + n);
      } else data = Float32Array.from({ length: n }, () => p.std * rng.normal());
      offset += n;
      return tf.variable(tf.tensor(data, p.shape), true);
    });
    if (values && offset !== values.length) throw invalidInput('the decoder weights file does not match its layout');
    return new Decoder(spec, vars, tf);
  }

  /**
   * 3×3 'same' convolution: forward and input gradient by TF.js's kernels; the filter gradient by filterGrad3x3
   * (the pure-JS backend's Conv2DBackpropFilter is a naive loop that took ≈ 95 % of a training step).
   */
  private readonly conv3: (x: TF.Tensor4D, w: TF.Tensor4D) => TF.Tensor4D;

  private makeConv3(): (x: TF.Tensor4D, w: TF.Tensor4D) => TF.Tensor4D {
    return this.tf.customGrad(((x: TF.Tensor4D, w: TF.Tensor4D, save: (t: TF.Tensor[]) => void) => {
    save([x, w]);
    return {
      value: this.tf.conv2d(x, w, 1, 'same'),
      gradFunc: (dy: TF.Tensor4D, saved: TF.Tensor[]) => {
        const [xs, ws] = saved as [TF.Tensor4D, TF.Tensor4D];
        const dx = this.tf.conv2dTranspose(dy, ws, xs.shape, 1, 'same');
        const dw = this.tf.tensor4d(filterGrad3x3(xs.dataSync() as Float32Array, dy.dataSync() as Float32Array, xs.shape, ws.shape[3]), ws.shape);
        return [dx, dw];
      },
    };
  }) as unknown as Parameters<Tf['customGrad']>[0]) as unknown as (x: TF.Tensor4D, w: TF.Tensor4D) => TF.Tensor4D;
  }

  /** Features NHWC (or N×C) → images NHWC. */
  apply(f: TF.Tensor): TF.Tensor4D {
    const { tf } = this;
    const lrelu = (t: TF.Tensor4D) => tf.leakyRelu(t, 0.2) as TF.Tensor4D;
    let i = 0;
    const next = () => this.vars[i++];
    const conv = (x: TF.Tensor4D): TF.Tensor4D => {
      const wt = next();
      const b = next();
      return tf.add(this.conv3(x, wt as TF.Tensor4D), b) as TF.Tensor4D;
    };
    const { featureDims, inputDims, widths } = this.spec;
    let x: TF.Tensor4D;
    if (featureDims.length === 4) x = lrelu(conv(f as TF.Tensor4D));
    else {
      const wt = next();
      const b = next();
      x = lrelu(tf.reshape(tf.add(tf.matMul(f as TF.Tensor2D, wt as TF.Tensor2D), b), [f.shape[0], 4, 4, widths[0]]) as TF.Tensor4D);
    }
    for (let s = 1; s < widths.length; s++) {
      const u = lrelu(conv(x));
      const [n, h, w] = u.shape;
      // Depth to space: channel (a, b, c) of pixel (y, x) → pixel (2y + a, 2x + b), channel c.
      x = tf.reshape(tf.transpose(tf.reshape(u, [n, h, w, 2, 2, widths[s]]), [0, 1, 3, 2, 4, 5]), [n, 2 * h, 2 * w, widths[s]]) as TF.Tensor4D;
      x = lrelu(conv(x));
    }
    x = conv(x);
    const [, oh, ow] = x.shape;
    const [, , H, W] = inputDims;
    if (oh !== H || ow !== W) x = tf.slice(x, [0, Math.floor((oh - H) / 2), Math.floor((ow - W) / 2), 0], [-1, H, W, -1]);
    return x;
  }

  values(): Float32Array {
    const parts = this.vars.map((v) => v.dataSync() as Float32Array);
    const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  dispose(): void {
    for (const v of this.vars) v.dispose();
  }
}

/** ∂L/∂W for a 3×3 'same' convolution: x (N, H, W, Ci) NHWC, dy (N, H, W, Co) → (3, 3, Ci, Co). */
export function filterGrad3x3(x: Float32Array, dy: Float32Array, shape: number[], co: number): Float32Array {
  const [n, h, w, ci] = shape;
  const out = new Float32Array(9 * ci * co);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        const g = ((b * h + y) * w + xx) * co;
        for (let ky = 0; ky < 3; ky++) {
          const sy = y + ky - 1;
          if (sy < 0 || sy >= h) continue;
          for (let kx = 0; kx < 3; kx++) {
            const sx = xx + kx - 1;
            if (sx < 0 || sx >= w) continue;
            const xo = ((b * h + sy) * w + sx) * ci;
            const wo = (ky * 3 + kx) * ci * co;
            for (let c = 0; c < ci; c++) {
              const v = x[xo + c];
              if (v === 0) continue;
              const r = wo + c * co;
              for (let o = 0; o < co; o++) out[r + o] += v * dy[g + o];
            }
          }
        }
      }
    }
  }
  return out;
}

/** NCHW (batch k) → NHWC tensor. */
function toNhwc(tf: Tf, data: Float32Array, dims: number[]): TF.Tensor {
  if (dims.length === 2) return tf.tensor2d(data, dims as [number, number]);
  return tf.tidy(() => tf.tensor4d(data, dims as [number, number, number, number]).transpose([0, 2, 3, 1]));
}

function f32Buffer(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function readF32(file: string): Float32Array {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

async function saveCheckpoint(decoder: Decoder, optimizer: TF.AdamOptimizer, dir: string, meta: InverterMeta): Promise<void> {
  writeAtomic(path.join(dir, WEIGHTS_FILE), f32Buffer(decoder.values()));
  writeAtomic(path.join(dir, TOPOLOGY_FILE), Buffer.from(JSON.stringify({ spec: decoder.spec, params: paramList(decoder.spec).map(({ name, shape }) => ({ name, shape })) })));
  // Adam's state (step count, first and second moments, in variable order) so --resume continues exactly.
  const state = await optimizer.getWeights();
  const arrays = await Promise.all(state.map((s) => s.tensor.data() as Promise<Float32Array>));
  const flat = new Float32Array(arrays.reduce((a, v) => a + v.length, 0));
  let o = 0;
  for (const a of arrays) {
    flat.set(a, o);
    o += a.length;
  }
  writeAtomic(path.join(dir, OPTIMIZER_FILE), f32Buffer(flat));
  // The metadata goes last: it is what marks the epoch as saved.
  writeAtomic(path.join(dir, META_FILE), Buffer.from(JSON.stringify(meta, null, 2)));
}

async function restoreOptimizer(tf: Tf, optimizer: TF.AdamOptimizer, decoder: Decoder, dir: string): Promise<boolean> {
  let flat: Float32Array;
  try {
    flat = readF32(path.join(dir, OPTIMIZER_FILE));
  } catch {
    return false;
  }
  const shapes = [[], ...decoder.vars.map((v) => v.shape), ...decoder.vars.map((v) => v.shape)];
  const total = shapes.reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
  if (total !== flat.length) return false;
  let o = 0;
  const named = shapes.map((s, i) => {
    const n = s.reduce((x, y) => x * y, 1);
    const t = tf.tensor(flat.slice(o, o + n), s);
    o += n;
    return { name: i === 0 ? 'iter' : `m${i}`, tensor: t };
  });
  await optimizer.setWeights(named);
  tf.dispose(named.map((x) => x.tensor));
  return true;
}

function writeAtomic(file: string, bytes: Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
}

export function readMeta(dir: string): InverterMeta {
  const file = path.join(dir, META_FILE);
  let meta: InverterMeta;
  try {
    meta = JSON.parse(fs.readFileSync(file, 'utf8')) as InverterMeta;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw invalidInput(code === 'ENOENT' ? `${dir} holds no trained inverter (no ${META_FILE}); train one with 'featurevis train-inverter --out ${dir}'` : `cannot read ${file}: ${code ?? (e as Error).message}`);
  }
  if (meta.format !== FORMAT) throw invalidInput(`${file} is not a FeatureVis inverter (format '${String(meta.format)}')`);
  return meta;
}

export function loadDecoder(tf: Tf, dir: string): Decoder {
  let spec: DecoderSpec;
  let values: Float32Array;
  try {
    spec = (JSON.parse(fs.readFileSync(path.join(dir, TOPOLOGY_FILE), 'utf8')) as { spec: DecoderSpec }).spec;
    values = readF32(path.join(dir, WEIGHTS_FILE));
  } catch (e) {
    throw invalidInput(`cannot load the decoder in ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return Decoder.create(tf, spec, 0, values);
}

interface Item {
  x: Float32Array;
  f: Float32Array;
}

/** Decodes images and computes their features with ORT, in ORT batches the model accepts. */
class FeatureSource {
  private readonly runners = new Map<number, Promise<Runner>>();
  private readonly cache = new Map<number, Item>();
  private cacheBytes = 0;
  readonly notes: string[] = [];
  private readonly bad = new Set<number>();
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

  /** Items for these file indices (unreadable files dropped, with a note the first time). */
  async get(indices: number[]): Promise<Item[]> {
    const out: (Item | undefined)[] = indices.map((i) => this.cache.get(i));
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
    const fixedBatch = typeof this.model.inputDims[0] === 'number' && (this.model.inputDims[0] as number) > 0 ? (this.model.inputDims[0] as number) : 0;
    const per = C * H * W;
    for (let s = 0; s < missing.length;) {
      const k = fixedBatch || missing.length - s;
      const group = missing.slice(s, s + k);
      const x = new Float32Array(k * per);
      group.forEach((g, i) => x.set(g.x, i * per));
      const { target } = await (await this.runner(k)).run(x);
      const fper = target.length / k;
      group.forEach((g, i) => {
        const item = { x: g.x, f: target.slice(i * fper, (i + 1) * fper) };
        out[g.slot] = item;
        const bytes = 4 * (item.x.length + item.f.length);
        if (this.cacheBytes + bytes <= this.cacheLimit) {
          this.cache.set(g.index, item);
          this.cacheBytes += bytes;
        }
      });
      s += group.length;
    }
    return out.filter((v): v is Item => v !== undefined);
  }
}

export async function trainInverter(o: TrainOptions): Promise<TrainResult> {
  const { model, layer } = o;
  const epochs = o.epochs;
  const batch = o.batch ?? 8;
  const lr = o.lr ?? 1e-3;
  const seed = o.seed ?? 0;
  if (!Number.isInteger(epochs) || epochs < 1) throw invalidParams(`--epochs must be a whole number ≥ 1, got ${epochs}`);
  if (!Number.isInteger(batch) || batch < 1) throw invalidParams(`--batch must be a whole number ≥ 1, got ${batch}`);
  if (!(lr > 0)) throw invalidParams(`--lr must be positive, got ${lr}`);
  if (!layer) throw invalidParams("train-inverter needs --layer TENSOR; list tensors with 'featurevis layers'");
  const inputDims = inputDimsFor(model, o.size);
  const featureDims = await tensorShape(model, inputDims, layer);
  const folder = path.resolve(o.images);
  const { files, notes: listNotes } = listFolder(folder);
  const names = files.map((f) => f.name);
  const out = path.resolve(o.out);
  fs.mkdirSync(out, { recursive: true });
  const sha = sha256File(model.path);
  const { tf, pkg, backend } = await loadTf();

  let meta: InverterMeta | undefined;
  let decoder: Decoder;
  const hasCheckpoint = fs.existsSync(path.join(out, META_FILE));
  if (hasCheckpoint && !o.resume) throw invalidParams(`${out} already holds a trained inverter; pass --resume to continue training it, or choose another --out`);
  if (o.resume && hasCheckpoint) {
    meta = readMeta(out);
    if (meta.layer !== layer) throw invalidParams(`the checkpoint in ${out} was trained for layer '${meta.layer}', not '${layer}'`);
    if (meta.model.sha256 !== sha) throw invalidParams(`the checkpoint in ${out} was trained on another model file (${meta.model.file}, different contents)`);
    if (meta.inputDims.join() !== inputDims.join()) throw invalidParams(`the checkpoint in ${out} was trained at input [${meta.inputDims.join(', ')}], not [${inputDims.join(', ')}]`);
    decoder = loadDecoder(tf, out);
  } else {
    decoder = Decoder.create(tf, decoderSpec(featureDims, inputDims), seed);
  }
  const resumedFrom = meta?.epoch ?? 0;
  const notes = [...listNotes];
  if (o.resume && !hasCheckpoint) notes.push(`nothing to resume in ${out}; started from scratch`);
  const cacheLimit = (o.cacheMb ?? 256) * 1024 * 1024;
  const src = new FeatureSource(model, layer, model.preprocessing().size[0] === inputDims[2] && model.preprocessing().size[1] === inputDims[3]
    ? model.preprocessing() : { ...model.preprocessing(), size: [inputDims[2], inputDims[3]], resize: { mode: 'stretch' } }, inputDims, folder, names, cacheLimit);
  const optimizer = tf.train.adam(lr);
  if (meta && !(await restoreOptimizer(tf, optimizer, decoder, out))) notes.push('no usable optimizer state in the checkpoint; Adam restarted');
  const [, C, H, W] = inputDims;
  const fdims = featureDims.slice(1);
  const lossHistory = [...(meta?.loss ?? [])];
  let featureScale = meta?.featureScale ?? 0;
  let imagesDone = 0;
  let trainMs = 0;
  let lastBatches: number[] = meta?.lastEpochBatches ?? [];
  const batches = Math.ceil(names.length / batch);
  try {
    for (let epoch = resumedFrom; epoch < epochs; epoch++) {
      const rng = new Rng(seed * 7919 + epoch + 1);
      const order = names.map((_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [order[i], order[j]] = [order[j], order[i]];
      }
      let sum = 0;
      let count = 0;
      const batchLosses: number[] = [];
      for (let b = 0; b < batches; b++) {
        if (o.token?.isCancellationRequested) throw cancelled();
        const items = await src.get(order.slice(b * batch, (b + 1) * batch));
        if (items.length === 0) continue;
        const k = items.length;
        const fper = items[0].f.length;
        if (featureScale === 0) {
          let s = 0;
          let n = 0;
          for (const it of items) for (const v of it.f) { s += v * v; n++; }
          featureScale = 1 / Math.max(Math.sqrt(s / n), 1e-6);
        }
        const f = new Float32Array(k * fper);
        const x = new Float32Array(k * C * H * W);
        items.forEach((it, i) => {
          for (let j = 0; j < fper; j++) f[i * fper + j] = it.f[j] * featureScale;
          x.set(it.x, i * C * H * W);
        });
        const t0 = performance.now();
        const ft = toNhwc(tf, f, [k, ...fdims]);
        const xt = toNhwc(tf, x, [k, C, H, W]);
        const lossT = optimizer.minimize(() => tf.losses.meanSquaredError(xt, decoder.apply(ft)) as TF.Scalar, true, decoder.vars);
        const loss = (await lossT!.data())[0];
        tf.dispose([ft, xt, lossT!]);
        trainMs += performance.now() - t0;
        imagesDone += k;
        if (!Number.isFinite(loss)) throw new FeatureVisError('Internal', `training diverged at epoch ${epoch + 1} (loss ${loss}); try a smaller --lr`);
        sum += loss * k;
        count += k;
        batchLosses.push(loss);
        o.progress?.({ epoch: epoch + 1, epochs, batch: b + 1, batches, batchLoss: loss, message: `epoch ${epoch + 1}/${epochs}, batch ${b + 1}/${batches}: loss ${loss.toPrecision(4)}` });
      }
      if (count === 0) throw invalidInput(`no readable images in ${folder}: ${src.notes.join('; ')}`);
      const epochLoss = sum / count;
      lossHistory.push(epochLoss);
      lastBatches = batchLosses;
      meta = {
        format: FORMAT, version: 1, model: { file: path.basename(model.path), sha256: sha }, layer, inputDims, featureDims, featureScale,
        epoch: epoch + 1, loss: lossHistory, lastEpochBatches: lastBatches,
        settings: { batch, lr, seed, images: folder, trainedImages: count }, backend: `${pkg} (${backend})`,
      };
      await saveCheckpoint(decoder, optimizer, out, meta);
      const ips = imagesDone / (trainMs / 1000);
      o.progress?.({ epoch: epoch + 1, epochs, batch: batches, batches, batchLoss: batchLosses[batchLosses.length - 1], epochLoss, imagesPerSecond: ips, message: `epoch ${epoch + 1}/${epochs}: loss ${epochLoss.toPrecision(4)} (${count} images, ${ips.toFixed(1)} images/s)` });
    }
  } finally {
    optimizer.dispose();
    decoder.dispose();
  }
  if (!meta) throw invalidParams(`the checkpoint in ${out} is already at epoch ${resumedFrom}; ask for more --epochs to continue`);
  return { meta, notes: [...notes, ...src.notes], imagesPerSecond: imagesDone > 0 ? imagesDone / (trainMs / 1000) : 0, resumedFrom };
}

/** Runs a trained decoder on features (NCHW, batch k, already computed by ORT) → images NCHW. */
export async function decode(dir: string, features: Float32Array, featureDims: number[]): Promise<Float32Array> {
  const { tf } = await loadTf();
  const meta = readMeta(dir);
  const decoder = loadDecoder(tf, dir);
  try {
    const out = tf.tidy(() => decoder.apply(tf.mul(toNhwc(tf, features, featureDims), meta.featureScale)).transpose([0, 3, 1, 2]));
    const data = (await out.data()) as Float32Array;
    out.dispose();
    return Float32Array.from(data);
  } finally {
    decoder.dispose();
  }
}

export const GENERATIVE_PARAMS: ParamSpec[] = [
  { name: 'inverter', label: 'Trained inverter', kind: 'text', default: '', help: "directory written by 'featurevis train-inverter --out DIR' (required)" },
];

export async function invertGenerative(ctx: MethodRunContext, p: ParamValues): Promise<ExplainResult> {
  const t0 = performance.now();
  const dir = String(p.inverter ?? '');
  if (!dir) throw invalidParams("invert-generative needs --inverter DIR (a decoder trained with 'featurevis train-inverter')");
  const meta = readMeta(dir);
  const dims = ctx.input.dims;
  if (dims.length !== 4) throw invalidParams(`invert-generative needs an image input (N, C, H, W); got [${dims.join(', ')}]`);
  if (dims.slice(1).join() !== meta.inputDims.slice(1).join()) {
    throw invalidParams(`the inverter in ${dir} was trained at input [${meta.inputDims.slice(1).join(', ')}] (C, H, W); this input is [${dims.slice(1).join(', ')}]`);
  }
  if (sha256File(ctx.model.path) !== meta.model.sha256) throw invalidParams(`the inverter in ${dir} was trained on another model (${meta.model.file}); its features do not fit this one`);
  const n = dims[0];
  const fixed = typeof ctx.model.inputDims[0] === 'number' && (ctx.model.inputDims[0] as number) > 0;
  const k = fixed ? (ctx.model.inputDims[0] as number) : n;
  const runner = await Runner.open(ctx.model, 'features', meta.layer, [k, ...dims.slice(1)]);
  const compileMs = performance.now() - t0;
  const runStart = performance.now();
  const per = dims[1] * dims[2] * dims[3];
  const fper = runner.targetDims.reduce((a, b) => a * b, 1) / k;
  const features = new Float32Array(n * fper);
  for (let s = 0; s < n; s += k) {
    if (ctx.token.isCancellationRequested) throw cancelled();
    const x = new Float32Array(k * per);
    x.set(ctx.input.data.subarray(s * per, Math.min(n, s + k) * per));
    const { target } = await runner.run(x);
    features.set(target.subarray(0, Math.min(k, n - s) * fper), s * fper);
  }
  ctx.progress({ fraction: 0.5, message: 'decoding' });
  const image = await decode(dir, features, [n, ...meta.featureDims.slice(1)]);
  const mse: number[] = [];
  for (let b = 0; b < n; b++) {
    let s = 0;
    for (let i = b * per; i < (b + 1) * per; i++) s += (image[i] - ctx.input.data[i]) ** 2;
    mse.push(s / per);
  }
  const relevance: TensorData = { data: image, dims: [...dims] };
  return {
    method: 'invert-generative', relevance, targetValue: mse, targetTensor: meta.layer,
    timings: { compileMs, runMs: performance.now() - runStart },
    extras: {
      target: `decoder for ${meta.layer} (epoch ${meta.epoch}, final training loss ${meta.loss[meta.loss.length - 1]?.toPrecision(4)})`,
      pixel_mse: mse, training_loss: meta.loss,
    },
  };
}

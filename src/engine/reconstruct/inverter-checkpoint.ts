/**
 * A trained generative inverter on disk (a directory; every file is replaced atomically):
 *   decoder.json         the decoder layout (shapes, widths) and its parameter list
 *   decoder.weights.bin  the weights (float32, in the order of decoder.json)
 *   optimizer.bin        Adam's state (step, moments) so a resumed training continues exactly
 *   inverter.json        format, model file name + SHA-256, layer, input and feature shapes, feature scale, epoch,
 *                        loss history, training settings: everything resuming and invert-generative need.
 * inverter.json is written last: it is what marks an epoch as saved.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { invalidInput } from '../errors';
import { Decoder, paramList, type DecoderSpec } from './inverter-decoder';
import type { Tf } from './tf';
import { writeFileAtomic } from '../private-files';

export const FORMAT = 'featurevis-inverter';
const META_FILE = 'inverter.json';
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

export function hasCheckpoint(dir: string): boolean {
  return fs.existsSync(path.join(dir, META_FILE));
}

function f32Buffer(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function readF32(file: string): Float32Array {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export async function saveCheckpoint(decoder: Decoder, optimizer: TF.AdamOptimizer, dir: string, meta: InverterMeta): Promise<void> {
  writeFileAtomic(path.join(dir, WEIGHTS_FILE), f32Buffer(decoder.values()));
  writeFileAtomic(path.join(dir, TOPOLOGY_FILE), Buffer.from(JSON.stringify({ spec: decoder.spec, params: paramList(decoder.spec).map(({ name, shape }) => ({ name, shape })) })));
  // Adam's state (step count, first and second moments, in variable order) so resuming continues exactly.
  const state = await optimizer.getWeights();
  // The step count is an int32 scalar; it is stored as a float like the rest.
  const arrays = await Promise.all(state.map((s) => s.tensor.data()));
  const flat = new Float32Array(arrays.reduce((a, v) => a + v.length, 0));
  let o = 0;
  for (const a of arrays) {
    flat.set(a, o);
    o += a.length;
  }
  writeFileAtomic(path.join(dir, OPTIMIZER_FILE), f32Buffer(flat));
  writeFileAtomic(path.join(dir, META_FILE), Buffer.from(JSON.stringify(meta, null, 2)));
}

/** Adam's saved state into `optimizer`; false when there is none or it does not fit the decoder. */
export async function restoreOptimizer(tf: Tf, optimizer: TF.AdamOptimizer, decoder: Decoder, dir: string): Promise<boolean> {
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

export function readMeta(dir: string): InverterMeta {
  const file = path.join(dir, META_FILE);
  let meta: InverterMeta;
  try {
    meta = JSON.parse(fs.readFileSync(file, 'utf8')) as InverterMeta;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw invalidInput(code === 'ENOENT' ? `${dir} holds no trained inverter (no ${META_FILE}); train one with 'featurevis train-inverter'` : `cannot read ${file}: ${code ?? (e as Error).message}`);
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

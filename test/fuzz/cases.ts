/**
 * The fuzzing suite's input kinds. Each case is a seed: it builds one hostile input and feeds it to the code that
 * reads such inputs in the product. It must end in a result or one typed FeatureVis error (never a plain
 * exception, an Internal error, a hang or a native abort — the runner watches for those).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LoadedModel } from '../../src/engine/model';
import { FeatureVisError } from '../../src/engine/errors';
import { decodeImage, encodePng } from '../../src/engine/image/decode';
import { defaultPreprocessing, imageToTensor } from '../../src/engine/preprocess';
import { parseWebviewMessage } from '../../src/protocol/messages';
import { int, mutateBytes, pick, randomValue, rng } from './mutate';

const ROOT = path.join(__dirname, '..', '..');
export const KINDS = ['onnx', 'image', 'sidecar', 'webview'] as const;
/** `canary` is the runner's own test: cases that succeed, throw, abort natively and hang (never run by default). */
export type Kind = typeof KINDS[number] | 'canary';
export type Outcome = 'ok' | `error:${string}`;

const work = fs.mkdtempSync(path.join(os.tmpdir(), `fv-fuzz-${process.pid}-`));
process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }));

const read = (rel: string) => new Uint8Array(fs.readFileSync(path.join(ROOT, rel)));
const lazy = <T>(f: () => T) => { let v: T | undefined; return () => (v ??= f()); };

const onnxSeeds = lazy(() => fs.readdirSync(path.join(ROOT, 'test', 'fixtures'))
  .map((d) => path.join('test', 'fixtures', d, 'model.onnx')).filter((f) => fs.existsSync(path.join(ROOT, f))).map(read));
const defaultModel = lazy(() => read('assets/models/efficientnet-lite0.onnx'));

const tinyPng = lazy(() => {
  const data = Uint8Array.from({ length: 16 * 12 * 4 }, (_, i) => (i * 37) & 255);
  return new Uint8Array(encodePng(16, 12, data));
});
const imageSeeds = lazy(() => [
  tinyPng(), read('assets/samples/chelsea.png'), read('assets/samples/rocket.jpg'),
  // Formats the engine does not decode (the webview does): they must be refused clearly.
  new TextEncoder().encode('GIF89a\x10\x00\x10\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x10\x00\x10\x00\x00\x02\x02D\x01\x00;'),
  Uint8Array.from([0x42, 0x4d, 0x46, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, 0x28, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 24, 0, ...new Array(40).fill(0)]),
  new TextEncoder().encode('RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x000\x01\x00\x9d\x01\x2a\x01\x00\x01\x00\x02\x00\x34\x25\xa4\x00\x03\x70\x00\xfe\xfb\x94\x00\x00'),
]);

const ACCEPTED = new Set(['ModelLoadFailed', 'InvalidInput', 'InvalidParams', 'UnsupportedOp']);

/** Runs one case; a thrown non-FeatureVis error (or an Internal one) propagates: the runner records a failure. */
export async function runCase(kind: Kind, seed: number): Promise<Outcome> {
  try {
    await CASES[kind](rng(seed), seed);
    return 'ok';
  } catch (e) {
    if (e instanceof FeatureVisError && ACCEPTED.has(e.code)) return `error:${e.code}`;
    throw e;
  }
}

const CASES: Record<Kind, (r: () => number, seed: number) => Promise<void>> = {
  /** A mutated or truncated ONNX model: load, create its forward session, probe it at its default input shape. */
  async onnx(r, seed) {
    const src = int(r, 50) === 0 ? defaultModel() : pick(r, onnxSeeds());
    const file = path.join(work, `m${seed}.onnx`);
    fs.writeFileSync(file, mutateBytes(r, src));
    let model: LoadedModel | undefined;
    try {
      model = LoadedModel.open(file, { threads: 1 });
      await model.forwardSession();
      await model.prepare(model.inputShapeFor(1), false);
    } finally {
      await model?.dispose();
      fs.rmSync(file, { force: true });
    }
  },
  /** A mutated PNG / JPEG / GIF / BMP / WebP file: decode and preprocess for a 224² model. */
  async image(r) {
    let bytes = mutateBytes(r, pick(r, imageSeeds()));
    // PNG chunks carry CRCs: repaired, most mutants reach the inflater and the scanline filters instead of stopping there.
    if (r() < 0.7) bytes = fixPngCrcs(bytes);
    const img = decodeImage(bytes, 'fuzz');
    imageToTensor(img, defaultPreprocessing([1, 3, 224, 224]));
  },
  /** A random sidecar next to a valid model: open the model, read its preprocessing, preprocess a small image. */
  async sidecar(r, seed) {
    const dir = path.join(work, `s${seed}`);
    fs.mkdirSync(dir);
    try {
      const model = path.join(dir, 'model.onnx');
      fs.copyFileSync(path.join(ROOT, 'test', 'fixtures', 'convnet', 'model.onnx'), model);
      const side: Record<string, unknown> = {};
      for (const k of ['name', 'labels', 'size', 'mean', 'std', 'resize', 'channels', 'layout']) if (r() < 0.6) side[k] = randomValue(r);
      if (r() < 0.5) side.size = [int(r, 300), int(r, 300)];
      if (r() < 0.5) side.mean = [r(), r(), r()];
      if (r() < 0.5) side.std = [r(), r(), r()];
      if (r() < 0.3) side.resize = { mode: pick(r, ['stretch', 'shorter-side', 'x']), size: randomValue(r, 0), crop: randomValue(r, 0) };
      fs.writeFileSync(path.join(dir, 'model.json'), r() < 0.05 ? '{"size": [' : JSON.stringify(side));
      const m = LoadedModel.open(model, { threads: 1 });
      try {
        imageToTensor({ width: 8, height: 6, data: new Uint8Array(8 * 6 * 4).fill(128) }, m.preprocessing());
      } finally {
        await m.dispose();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
  async canary(_r, seed) {
    const what = seed % 4;
    if (what === 1) throw new TypeError('a plain exception');
    if (what === 2) process.abort();
    // A synchronous hang, like a read of /dev/zero: nothing but a kill ends it.
    if (what === 3) while (Date.now() > 0) Math.sqrt(seed);
  },
  /** A random message from a webview: the host's validator must answer ok or an error, never throw. */
  async webview(r) {
    const types = ['ready', 'run', 'cancel', 'pickPath', 'export', 'decoded', 'decodeFailed', 'visualizeSample', 'runCheck', 'log', 'x'];
    const m: Record<string, unknown> = r() < 0.9 ? { type: pick(r, types) } : (randomValue(r) as Record<string, unknown>);
    if (m && typeof m === 'object') {
      for (const k of ['seq', 'slot', 'method', 'params', 'target', 'model', 'region', 'png', 'name', 'width', 'height', 'data', 'message', 'param']) {
        if (r() < 0.5) m[k] = k === 'data' || k === 'png' ? (r() < 0.5 ? new ArrayBuffer(int(r, 64)) : randomValue(r)) : randomValue(r);
      }
    }
    const res = parseWebviewMessage(m);
    if (typeof res !== 'object' || (res.ok !== true && res.ok !== false)) throw new Error('the validator returned neither ok nor an error');
  },
};

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** Recomputes every complete chunk's CRC of a PNG-like byte string (other bytes are left as they are). */
function fixPngCrcs(b: Uint8Array): Uint8Array {
  if (b.length < 8 || b[0] !== 0x89 || b[1] !== 0x50) return b;
  const out = Uint8Array.from(b);
  const view = new DataView(out.buffer);
  for (let at = 8; at + 12 <= out.length;) {
    const len = view.getUint32(at);
    if (at + 12 + len > out.length) break;
    let c = 0xffffffff;
    for (let i = at + 4; i < at + 8 + len; i++) c = CRC_TABLE[(c ^ out[i]) & 0xff] ^ (c >>> 8);
    view.setUint32(at + 8 + len, (c ^ 0xffffffff) >>> 0);
    at += 12 + len;
  }
  return out;
}

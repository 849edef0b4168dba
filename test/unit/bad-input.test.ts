/** Bad input gets one clear, typed error: never a native crash, a hang or a stack trace as the message. */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { Engine, defaultModelPath } from '../../src/engine/engine';
import { FeatureVisError } from '../../src/engine/errors';
import { decodeImage } from '../../src/engine/image/decode';
import { encodeModel } from '../../src/engine/onnx/codec';
import { DataType } from '../../src/engine/ir/tensor';
import { attr } from '../../src/engine/ir/graph';
import { loadImageFile } from '../../src/engine/preprocess';
import { oneNodeModel } from './onenode';
import { FIXTURES } from './helpers';
import { readNpy } from '../../src/engine/npy';

const engine = new Engine({ threads: 1 });
after(() => engine.dispose());
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'featurevis-bad-'));
const ROOT = path.join(__dirname, '..', '..');
const convnet = path.join(FIXTURES, 'convnet', 'model.onnx');
const convnetInput = () => readNpy(path.join(FIXTURES, 'convnet', 'input.npy'));

async function rejectsWith(p: Promise<unknown> | (() => unknown), code: string, pattern: RegExp) {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    assert.ok(e instanceof FeatureVisError, `expected FeatureVisError, got ${(e as Error).constructor.name}: ${(e as Error).message}`);
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    assert.doesNotMatch(e.message, /\n\s+at /, 'message must not contain a stack trace');
    return;
  }
  assert.fail('expected an error');
}

test('a truncated ONNX file is rejected clearly', async () => {
  const bytes = fs.readFileSync(convnet);
  const file = path.join(tmp, 'truncated.onnx');
  fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
  await rejectsWith(() => engine.open(file), 'ModelLoadFailed', /truncated\.onnx|ONNX/);
});

test('a file that is not ONNX is rejected clearly', async () => {
  const file = path.join(tmp, 'photo.onnx');
  fs.copyFileSync(path.join(ROOT, 'assets', 'samples', 'chelsea.png'), file);
  await rejectsWith(() => engine.open(file), 'ModelLoadFailed', /ONNX/);
});

test('a missing model file is reported', async () => {
  await rejectsWith(() => engine.open(path.join(tmp, 'nope.onnx')), 'ModelLoadFailed', /not found/);
});

test('an image that does not decode is rejected clearly', async () => {
  const png = fs.readFileSync(path.join(ROOT, 'assets', 'samples', 'chelsea.png'));
  await rejectsWith(() => decodeImage(png.subarray(0, 200), 'broken.png'), 'InvalidInput', /broken\.png could not be decoded/);
  await rejectsWith(() => decodeImage(Buffer.from('hello world, not an image'), 'notes.png'), 'InvalidInput', /not a PNG or JPEG/);
});

test('a 20000×20000 image is refused before decoding', async () => {
  const header = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(header, 0);
  header.writeUInt32BE(13, 8);
  header.write('IHDR', 12, 'latin1');
  header.writeUInt32BE(20000, 16);
  header.writeUInt32BE(20000, 20);
  const file = path.join(tmp, 'huge.png');
  fs.writeFileSync(file, header);
  await rejectsWith(() => loadImageFile(file, engine.open().preprocessing()), 'InvalidInput', /20000×20000.*megapixels/);
});

test('a model whose input is not a float tensor is refused', async () => {
  const file = path.join(tmp, 'tokens.onnx');
  fs.writeFileSync(file, encodeModel({
    irVersion: 8, opsets: [{ domain: '', version: 17 }], producerName: 't', producerVersion: '', domain: '', modelVersion: 1,
    docString: '', metadata: [], functions: [],
    graph: {
      name: 'g', initializers: new Map(), valueInfo: [],
      nodes: [{ name: 'cast', op: 'Cast', domain: '', inputs: ['ids'], outputs: ['y'], attrs: new Map([['to', attr.i(DataType.FLOAT)]]) }],
      inputs: [{ name: 'ids', elemType: DataType.INT64, dims: [1, 16] }], outputs: [{ name: 'y', elemType: DataType.FLOAT }],
    },
  }));
  await rejectsWith(() => engine.open(file), 'ModelLoadFailed', /int64.*float32 tensor/);
});

test('an unknown tensor name, a class out of range and NaN input are each reported', async () => {
  const model = engine.open(convnet);
  const input = convnetInput();
  await rejectsWith(engine.explain({ model, input, method: 'gradient', target: { kind: 'unit', tensor: 'no_such_tensor', channel: 0 } }), 'InvalidParams', /no tensor named 'no_such_tensor'/);
  await rejectsWith(engine.explain({ model, input, method: 'gradient', target: { kind: 'class', index: 10 } }), 'InvalidParams', /class index 10 is out of range.*10 classes/);
  await rejectsWith(engine.explain({ model, input, method: 'gradient', target: { kind: 'unit', tensor: '/relu1/Relu_output_0', channel: 99 } }), 'InvalidParams', /channel 99 is out of range/);
  const bad = { data: input.data.slice(), dims: input.dims };
  bad.data[5] = NaN;
  await rejectsWith(engine.explain({ model, input: bad, method: 'gradient' }), 'InvalidInput', /NaN/);
  await rejectsWith(engine.explain({ model, input: { data: new Float32Array(10), dims: [1, 10] }, method: 'gradient' }), 'InvalidInput', /shape/);
  await rejectsWith(engine.explain({ model, input, method: 'nope' }), 'InvalidParams', /unknown method 'nope'/);
  await rejectsWith(engine.explain({ model, input, method: 'lrp-epsilon', params: { eps: -1 } }), 'InvalidParams', /eps must be ≥/);
});

test('an op without a backward rule names the op and node; the summary lists what is unavailable', async () => {
  const file = oneNodeModel({ op: 'Hardmax', inputs: ['x'], inputShape: [1, 3, 4, 4] });
  const model = engine.open(file);
  const input = { data: new Float32Array(48).fill(0.5), dims: [1, 3, 4, 4] };
  const target = { kind: 'weights' as const, tensor: 'y0', weights: { data: new Float32Array(48).fill(1), dims: [1, 3, 4, 4] } };
  await rejectsWith(engine.explain({ model, input, method: 'gradient', target }), 'UnsupportedOp', /Hardmax.*node 'Hardmax'/);
  const error = (await engine.explain({ model, input, method: 'gradient', target }).then(() => undefined, (e) => e)) as FeatureVisError;
  assert.ok(error.details.working?.includes('occlusion'), `methods that still work: ${error.details.working}`);
  const summary = await engine.summary(model);
  assert.ok(summary.unavailable.some((u) => u.method === 'gradient' && /Hardmax/.test(u.reason)));
});

test('CAM on a model without a global-pooling head says to use Grad-CAM', async () => {
  const model = engine.open(convnet);
  await rejectsWith(engine.explain({ model, input: convnetInput(), method: 'cam' }), 'InvalidParams', /grad-cam/);
});

test("explaining never modifies the user's model file", async () => {
  const hash = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
  const before = [hash(convnet), hash(defaultModelPath())];
  const model = engine.open(convnet);
  for (const method of ['gradient', 'lrp-composite', 'grad-cam']) await engine.explain({ model, input: convnetInput(), method });
  assert.deepEqual([hash(convnet), hash(defaultModelPath())], before);
});

test('the CLI exits non-zero with a one-line message and leaves no output file', () => {
  const out = path.join(tmp, 'never.npy');
  const cli = path.join(ROOT, 'src', 'cli', 'main.ts');
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, 'explain', '--model', convnet, '--input', path.join(FIXTURES, 'convnet', 'input.npy'), '--method', 'gradient', '--target', 'class:42', '--out', out], { encoding: 'utf8', cwd: ROOT });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^featurevis: class index 42 is out of range/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.ok(!fs.existsSync(out));
  assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.includes('never')), []);
});

test('a parameter error names the flag on the CLI and carries {param, reason} for the panel', async () => {
  const cli = path.join(ROOT, 'src', 'cli', 'main.ts');
  const args = ['--import', 'tsx', cli, 'explain', '--model', convnet, '--input', path.join(FIXTURES, 'convnet', 'input.npy'), '--method', 'lrp-epsilon', '--eps', '20', '--out', path.join(tmp, 'never.npy')];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: ROOT });
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim(), 'featurevis: --eps must be ≤ 10, got 20');
  const model = engine.open(convnet);
  const error = await engine.explain({ model, input: convnetInput(), method: 'lrp-epsilon', params: { eps: 20 } }).then(() => undefined, (e: FeatureVisError) => e);
  assert.deepEqual(error?.details, { param: 'eps', reason: 'must be ≤ 10, got 20' });
});

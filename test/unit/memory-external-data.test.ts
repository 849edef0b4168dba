/**
 * Weights held once (issue 13, item 2): big initializers stay in the model's file (ConstTensor.source) and compiled
 * graphs name them as external data read by onnxruntime, so no serialized copy of the weights is built. The
 * explanation must equal the one of the embedded encoding, also for a model with its own external-data file.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { LoadedModel, sessionOptions } from '../../src/engine/model';
import { Engine } from '../../src/engine/engine';
import { methods } from '../../src/engine/methods/index';
import { parseParams } from '../../src/engine/methods/params';
import { compileGraph, compiledFeeds, createCompiledSession } from '../../src/engine/compile';
import { defaultRegistry } from '../../src/engine/backward/registry';
import { encodeModel } from '../../src/engine/onnx/codec';
import { IN_FILE_BYTES } from '../../src/engine/onnx/load';

const LITE0 = path.join(__dirname, '..', '..', 'assets', 'models', 'efficientnet-lite0.onnx');
const dims = [1, 3, 224, 224];
const input = Float32Array.from({ length: 3 * 224 * 224 }, (_, i) => Math.sin(i * 0.37));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-extdata-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The gradient of logit 7, compiled with the weights embedded or as external data. */
async function gradient(m: LoadedModel, externalData: boolean): Promise<{ data: Float32Array; bytes: number }> {
  const base = await m.prepare(dims, false);
  const method = methods.get('gradient') as unknown as { params: never; plan: (p: unknown, o: unknown) => never };
  const params = parseParams(method.params, {}, 'gradient');
  const plan = method.plan(params, { defaultLayer: () => undefined });
  const target = base.graph.outputs[0].name;
  const compiled = compileGraph(m.model, base.graph, base.shapes, defaultRegistry, plan, target, { externalData });
  const session = await createCompiledSession(compiled, sessionOptions({ threads: 1 }));
  const weights = new Float32Array(base.shapes.get(target)!.reduce((a, b) => a * b, 1));
  weights[7] = 1;
  const feeds: Record<string, ort.Tensor> = { [m.inputName]: new ort.Tensor('float32', input, dims) };
  for (const [name, t] of compiledFeeds(compiled, { params, weights: { data: weights, dims: base.shapes.get(target)! }, top: false })) {
    feeds[name] = new ort.Tensor('float32', t.data, t.dims);
  }
  const out = await session.run(feeds, [compiled.relevance]);
  const data = Float32Array.from(out[compiled.relevance].data as Float32Array);
  await session.release();
  return { data, bytes: compiled.bytes.byteLength };
}

function assertClose(a: Float32Array, b: Float32Array): void {
  assert.equal(a.length, b.length);
  const scale = b.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assert.ok(scale > 0, 'a non-zero gradient');
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  assert.ok(worst <= 1e-6 * scale, `max difference ${worst} (scale ${scale})`);
}

test('big initializers stay in the file; the external-data encoding gives the embedded encoding\'s gradient', async () => {
  const m = LoadedModel.open(LITE0);
  const inits = [...m.model.graph.initializers.values()];
  const inFile = inits.filter((t) => t.source);
  assert.ok(inFile.length > 10, 'the big weights are file-backed');
  assert.ok(inFile.every((t) => t.source!.length >= IN_FILE_BYTES && t.source!.file === fs.realpathSync(LITE0)));
  assert.ok(inits.filter((t) => !t.source).every((t) => t.bytes().byteLength < IN_FILE_BYTES), 'small ones are held');
  const embedded = await gradient(m, false);
  const external = await gradient(m, true);
  const weightBytes = inFile.reduce((a, t) => a + t.source!.length, 0);
  assert.ok(embedded.bytes > weightBytes, 'the embedded graph carries the weights');
  assert.ok(external.bytes < embedded.bytes - weightBytes * 0.9, `external graph ${external.bytes} B holds no copy of the ${weightBytes} B of weights`);
  assertClose(external.data, embedded.data);
  await m.dispose();
});

test('a model with its own external-data file: explained alike, through the engine and the external encoding', async () => {
  // weights.bin is a copy of the whole model file; model.onnx names its tensors there by offset (valid external data).
  const dir = path.join(tmp, 'own');
  fs.mkdirSync(dir);
  fs.copyFileSync(LITE0, path.join(dir, 'weights.bin'));
  const source = LoadedModel.open(path.join(dir, 'weights.bin'));
  fs.writeFileSync(path.join(dir, 'model.onnx'), encodeModel(source.model, { externalFolder: fs.realpathSync(dir) }));
  const size = fs.statSync(path.join(dir, 'model.onnx')).size;
  assert.ok(size < fs.statSync(LITE0).size / 2, `the weights went to external data (${size} B left)`);
  const own = LoadedModel.open(path.join(dir, 'model.onnx'));
  assert.ok([...own.model.graph.initializers.values()].some((t) => t.source?.file === fs.realpathSync(path.join(dir, 'weights.bin'))));
  const reference = await gradient(LoadedModel.open(LITE0), false);
  assertClose((await gradient(own, true)).data, reference.data);
  assertClose((await gradient(own, false)).data, reference.data);
  const engine = new Engine({ threads: 1 });
  const weights = new Float32Array(1000);
  weights[7] = 1;
  const viaEngine = await engine.explain({ model: engine.open(path.join(dir, 'model.onnx')), input: { data: input, dims }, method: 'gradient', target: { kind: 'class', index: 7 } });
  assertClose(viaEngine.relevance.data, reference.data);
  await engine.close(path.join(dir, 'model.onnx'));
});

test('weights whose file changed after opening are refused, not read as other weights', async () => {
  const file = path.join(tmp, 'changed.onnx');
  fs.copyFileSync(LITE0, file);
  const m = LoadedModel.open(file);
  const later = new Date(Date.now() + 5000);
  fs.utimesSync(file, later, later);
  assert.throws(() => encodeModel(m.model, { externalFolder: path.dirname(fs.realpathSync(file)) }), /changed on disk since the model was opened/);
  assert.throws(() => encodeModel(m.model), /changed on disk since the model was opened/);
});

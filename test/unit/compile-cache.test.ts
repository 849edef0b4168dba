/**
 * The persistent compile cache: a second run (a fresh Engine, as a new process would be) loads onnxruntime's
 * optimised graph instead of probing and compiling, with the same results; entries are invalidated by a changed
 * model file, bounded in size, skipped when off, recompiled when corrupted, and never written outside the cache.
 */
import { test, beforeEach, afterEach } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { readNpy } from '../../src/engine/npy';
import { ConstTensor, DataType } from '../../src/engine/ir/tensor';
import { compileCache, evict, modelHash, readProbe, rebindable, rebindInputs, writeProbe } from '../../src/engine/compile-cache';
import * as crypto from 'node:crypto';
import type { ParamValues, TargetSpec } from '../../src/protocol/types';

const FIX = path.join(__dirname, '..', 'fixtures');
const input = readNpy(path.join(FIX, 'convnet', 'input.npy'));
const saved = { dir: process.env.FEATUREVIS_CACHE_DIR, mb: process.env.FEATUREVIS_COMPILE_CACHE_MB };
let work: string;
let cacheDir: string;
let modelFile: string;

beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-cc-'));
  cacheDir = path.join(work, 'cache');
  fs.mkdirSync(path.join(work, 'models'));
  modelFile = path.join(work, 'models', 'model.onnx');
  fs.copyFileSync(path.join(FIX, 'convnet', 'model.onnx'), modelFile);
  process.env.FEATUREVIS_CACHE_DIR = cacheDir;
  delete process.env.FEATUREVIS_COMPILE_CACHE_MB;
});

afterEach(() => {
  for (const [k, v] of [['FEATUREVIS_CACHE_DIR', saved.dir], ['FEATUREVIS_COMPILE_CACHE_MB', saved.mb]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  fs.rmSync(work, { recursive: true, force: true });
});

/** One run as a new process makes it: a fresh engine, the model opened from its file. */
async function run(method: string, params?: ParamValues, target?: TargetSpec, file = modelFile): Promise<Float32Array> {
  const engine = new Engine({ threads: 1 });
  try {
    const r = await engine.explain({ model: engine.open(file), input, method, params, target });
    return r.relevance.data;
  } finally {
    await engine.dispose();
  }
}

const compiledDir = () => path.join(cacheDir, 'compiled');
const entries = (ext: string) => (fs.existsSync(compiledDir()) ? fs.readdirSync(compiledDir()).filter((f) => /^(graph|probe)-/.test(f) && f.endsWith(ext)) : []);
const inodes = () => entries('.onnx').map((f) => fs.statSync(path.join(compiledDir(), f)).ino).sort();

function uncached(method: string, params?: ParamValues, target?: TargetSpec, file = modelFile): Promise<Float32Array> {
  process.env.FEATUREVIS_COMPILE_CACHE_MB = '0';
  return run(method, params, target, file).finally(() => delete process.env.FEATUREVIS_COMPILE_CACHE_MB);
}

test('a second run loads the cached graph and gives the same maps (live parameters, zB bounds, explicit targets)', async () => {
  const cases: [string, ParamValues | undefined, TargetSpec | undefined][] = [
    ['gradient', undefined, undefined],
    ['lrp-epsilon', { eps: 0.3 }, { kind: 'class', index: [1, 2] }],
    ['lrp-composite', undefined, undefined],
  ];
  for (const [i, [method, params, target]] of cases.entries()) {
    const reference = await uncached(method, params, target);
    const miss = await run(method, params, target);
    const written = inodes();
    assert.equal(written.length, i + 1, `${method}: an entry was written`);
    const hit = await run(method, params, target);
    assert.deepEqual(inodes(), written, `${method}: the second run read the entry rather than compiling a new one`);
    assert.deepEqual(Array.from(miss), Array.from(reference), method);
    assert.deepEqual(Array.from(hit), Array.from(reference), method);
  }
  assert.equal(entries('.probe').length, 1, 'one probe entry for the one input shape');
  // A live parameter moved on a hit is fed to the cached graph, not baked into it.
  const moved = await run('lrp-epsilon', { eps: 2 }, { kind: 'class', index: [1, 2] });
  assert.deepEqual(Array.from(moved), Array.from(await uncached('lrp-epsilon', { eps: 2 }, { kind: 'class', index: [1, 2] })));
});

test('a changed model file misses; the same bytes written again still hit', async () => {
  await run('gradient');
  const first = inodes();
  fs.copyFileSync(path.join(FIX, 'convnet', 'model.onnx'), modelFile); // new mtime, same content
  await run('gradient');
  assert.deepEqual(inodes(), first);
  fs.copyFileSync(path.join(FIX, 'blocks', 'model.onnx'), modelFile);
  const other = await run('gradient');
  assert.equal(inodes().length, 2, 'the new content got an entry of its own');
  assert.deepEqual(Array.from(other), Array.from(await uncached('gradient')));
});

test('cache off: nothing is written', async () => {
  process.env.FEATUREVIS_COMPILE_CACHE_MB = '0';
  await run('gradient');
  assert.equal(fs.existsSync(cacheDir), false);
  assert.equal(compileCache(undefined, { FEATUREVIS_COMPILE_CACHE_MB: '0' }), undefined);
  assert.equal(compileCache(0, {}), undefined);
  assert.equal(compileCache(64, { FEATUREVIS_CACHE_DIR: '/x' })?.maxBytes, 64 * 1024 * 1024);
});

test('a corrupted entry (truncated, or garbage of the right size) is dropped and compiled again', async () => {
  const reference = await run('gradient');
  const onnx = path.join(compiledDir(), entries('.onnx')[0]);
  const size = fs.statSync(onnx).size;
  fs.truncateSync(onnx, Math.floor(size / 2));
  assert.deepEqual(Array.from(await run('gradient')), Array.from(reference));
  assert.equal(fs.statSync(path.join(compiledDir(), entries('.onnx')[0])).size, size, 'rewritten whole');
  fs.writeFileSync(path.join(compiledDir(), entries('.onnx')[0]), Buffer.alloc(size, 0x5a));
  assert.deepEqual(Array.from(await run('gradient')), Array.from(reference));
  const data = path.join(compiledDir(), entries('.data')[0]);
  fs.truncateSync(data, Math.floor(fs.statSync(data).size / 2));
  assert.deepEqual(Array.from(await run('gradient')), Array.from(reference));
  assert.equal(entries('.data').length, 1, 'the truncated weights were replaced, not kept beside');
  fs.writeFileSync(path.join(compiledDir(), entries('.json')[0]), '{not json');
  fs.writeFileSync(path.join(compiledDir(), entries('.probe')[0]), Buffer.from([1, 2, 3]));
  assert.deepEqual(Array.from(await run('gradient')), Array.from(reference));
  assert.equal(entries('.onnx').length, 1);
});

test('files stay in the private cache folder: 0700 folder, 0600 files, nothing next to the model or left behind', async () => {
  await run('gradient');
  await run('lrp-epsilon');
  assert.deepEqual(fs.readdirSync(path.dirname(modelFile)), ['model.onnx']);
  assert.equal(fs.statSync(compiledDir()).mode & 0o777, 0o700);
  for (const f of fs.readdirSync(compiledDir())) {
    assert.ok(!f.startsWith('.'), `no temporary left: ${f}`);
    assert.equal(fs.statSync(path.join(compiledDir(), f)).mode & 0o777, 0o600, f);
  }
});

test('the size bound evicts whole entries, least recently used first', async () => {
  await run('gradient');
  const oneEntry = fs.readdirSync(compiledDir()).reduce((a, f) => a + fs.statSync(path.join(compiledDir(), f)).size, 0);
  // Room for about one graph: a second method's entry pushes the first out.
  process.env.FEATUREVIS_COMPILE_CACHE_MB = String((oneEntry * 1.5) / (1024 * 1024));
  await run('lrp-epsilon');
  const total = fs.readdirSync(compiledDir()).reduce((a, f) => a + fs.statSync(path.join(compiledDir(), f)).size, 0);
  assert.ok(total <= oneEntry * 1.5, `${total} ≤ bound`);
  assert.equal(entries('.onnx').length, 1);
  assert.equal(entries('.json').length, 1, 'an entry goes with its meta');
  assert.equal(entries('.data').length, 1, 'and with its weights');

  const dir = fs.mkdtempSync(path.join(work, 'lru-'));
  const t = Date.now() / 1000;
  for (const [i, key] of ['graph-a', 'graph-b', 'graph-c'].entries()) {
    for (const ext of ['.onnx', '.json']) {
      fs.writeFileSync(path.join(dir, key + ext), Buffer.alloc(ext === '.onnx' ? 1000 : 10));
      fs.utimesSync(path.join(dir, key + ext), t - 100 + [50, 0, 90][i], t - 100 + [50, 0, 90][i]);
    }
  }
  evict({ dir, maxBytes: 2100 });
  assert.deepEqual(fs.readdirSync(dir).sort(), ['graph-a.json', 'graph-a.onnx', 'graph-c.json', 'graph-c.onnx']);
});

test('probe entries round-trip shapes, element types and values of every width', () => {
  const c = { dir: path.join(work, 'probe'), maxBytes: 1 << 20 };
  const probe = {
    shapes: new Map([['x', [1, 3, 4, 4]], ['s', [4]]]),
    elemTypes: new Map([['x', DataType.FLOAT], ['s', DataType.INT64]]),
    values: new Map([['s', ConstTensor.int64([4], [1, 3, -4, 4])], ['f', ConstTensor.float32([3], [0.5, -1, 2])], ['b', ConstTensor.fromTyped(DataType.BOOL, [2], Uint8Array.of(1, 0))]]),
  };
  writeProbe(c, 'probe-t', probe);
  const back = readProbe(c, 'probe-t')!;
  assert.deepEqual(back.shapes, probe.shapes);
  assert.deepEqual(back.elemTypes, probe.elemTypes);
  assert.deepEqual(Array.from(back.values.get('s')!.values() as BigInt64Array), [1n, 3n, -4n, 4n]);
  assert.deepEqual(Array.from(back.values.get('f')!.values() as Float32Array), [0.5, -1, 2]);
  assert.deepEqual(Array.from(back.values.get('b')!.values() as Uint8Array), [1, 0]);
  assert.equal(readProbe(c, 'probe-missing'), undefined);
});

test('only graphs whose inputs can be rebuilt by name are cached', () => {
  const known = rebindInputs([{ name: 'fv_target_weight', shape: [1, 3] }, { name: 'fv_eps', shape: [] }, { name: 'fv_low', shape: [1, 3, 1, 1] }]);
  assert.equal(rebindable(known), true);
  assert.equal(rebindable([{ name: 'fv_mystery', shape: [2], bind: () => Float32Array.of(1, 2) }]), false);
  assert.equal(rebindable([{ name: 'fv_target_weight', shape: [2], bind: () => Float32Array.of(0, 1) }]), false);
});

test('the content hash kept across processes follows every rewrite, even one of the same size', () => {
  const c = { dir: path.join(work, 'hashes'), maxBytes: 1 << 20 };
  const f = path.join(work, 'models', 'w.bin');
  const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
  fs.writeFileSync(f, Buffer.alloc(4096, 1));
  assert.equal(modelHash(c, f), sha(Buffer.alloc(4096, 1)));
  assert.equal(modelHash(c, f), sha(Buffer.alloc(4096, 1)), 'from the store');
  const st = fs.statSync(f);
  fs.writeFileSync(f, Buffer.alloc(4096, 2));
  fs.utimesSync(f, st.atime, st.mtime); // even with the old mtime put back, the ctime tells
  assert.equal(modelHash(c, f), sha(Buffer.alloc(4096, 2)));
  assert.equal(Object.keys(JSON.parse(fs.readFileSync(path.join(c.dir, 'model-hashes.json'), 'utf8'))).length, 1, 'one line per file');
});

test('a model with replaced weights (built in memory) never reads or writes the cache', async () => {
  await run('gradient');
  const before = fs.readdirSync(compiledDir()).sort();
  const engine = new Engine({ threads: 1 });
  try {
    const model = engine.open(modelFile);
    const [name, w] = [...model.model.graph.initializers].find(([, t]) => t.dataType === DataType.FLOAT && t.dims.length === 4)!;
    const copy = model.withInitializers(new Map([[name, ConstTensor.float32(w.dims, Float32Array.from(w.values() as Float32Array, (v) => -2 * v))]]));
    const original = (await engine.explain({ model, input, method: 'gradient' })).relevance.data;
    const changed = (await engine.explain({ model: copy, input, method: 'gradient' })).relevance.data;
    assert.notDeepEqual(Array.from(changed), Array.from(original));
    await copy.dispose();
  } finally {
    await engine.dispose();
  }
  assert.deepEqual(fs.readdirSync(compiledDir()).sort(), before);
});

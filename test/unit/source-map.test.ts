/**
 * The layer ↔ source map on models exported by PyTorch's dynamo and TorchScript exporters and by tf2onnx
 * (tools/make_source_map_fixtures.py): nested modules, Sequential indices, a ModuleList comprehension, an
 * OrderedDict, a helper that builds a Sequential, a repeated block class, add_module, Keras f-string names. The
 * expected lines come from `# fv:GLOB` marker comments in the fixture sources, not from the mapper's output.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { layersAt } from '../../src/protocol/messages';
import type { LayerSource } from '../../src/protocol/types';
import { parseStackTrace } from '../../src/engine/source/module-path';
import { matchFile } from '../../src/engine/source/source-map';
import { FIXTURES } from './helpers';

const dir = path.join(FIXTURES, 'source-map');
const engine = new Engine({ threads: 1 });
after(() => engine.dispose());

/** Marker lines (0-based) by glob; `*` one path segment (any characters for Keras names), `**` one or more. */
function markers(file: string, keras = false): { line: number; re: RegExp; glob: string }[] {
  const out: { line: number; re: RegExp; glob: string }[] = [];
  fs.readFileSync(file, 'utf8').split('\n').forEach((text, line) => {
    const m = /# fv:(\S+)/.exec(text);
    if (!m) return;
    const re = m[1].split(/(\*\*|\*)/).map((p) => (p === '**' ? '.+' : p === '*' ? (keras ? '.*' : '[^.]+') : p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))).join('');
    out.push({ line, re: new RegExp(`^${re}$`), glob: m[1] });
  });
  return out;
}

/** Every located layer lands on the one marker line its module path matches, in the fixture file. */
function checkLines(sources: LayerSource[], file: string, keras = false): void {
  const marks = markers(file, keras);
  for (const s of sources.filter((x) => x.location)) {
    const hits = marks.filter((m) => m.re.test(s.modulePath ?? ''));
    assert.equal(hits.length, 1, `${s.node} (${s.modulePath}): markers ${hits.map((h) => h.glob).join(', ') || 'none'}`);
    assert.equal(s.location!.file, file);
    assert.equal(s.location!.line, hits[0].line, `${s.node} (${s.modulePath}) at line ${s.location!.line + 1}, marker ${hits[0].glob} at ${hits[0].line + 1}`);
    assert.equal(s.reason, undefined, `${s.node}: the definition, not a fallback`);
  }
}

const TORCH_PATHS = ['features.0', 'features.1', 'features.2', 'blocks.0.conv1', 'blocks.0.conv2', 'blocks.1.conv1', 'blocks.1.conv2',
  'blocks.0.relu', 'down.0', 'down.1', 'named.squeeze', 'named.act', 'head.pool', 'head.fc'];

for (const exporter of ['dynamo', 'torchscript']) {
  test(`PyTorch ${exporter} exporter: every layer with a module path lands on its definition`, async () => {
    const file = path.join(dir, 'torch', 'nets.py');
    const model = engine.open(path.join(dir, 'torch', `net.${exporter}.onnx`));
    const sources = await engine.sourceMap(model, [file]);
    const layers = await engine.layers(model);
    assert.deepEqual(sources.map((s) => [s.node, s.tensor]), layers.map((l) => [l.node, l.tensor]), 'one answer per layer, in order');
    checkLines(sources, file);
    const located = new Set(sources.filter((s) => s.location).map((s) => s.modulePath));
    for (const p of TORCH_PATHS) assert.ok(located.has(p), `${p} located (got ${[...located].join(', ')})`);
    // Every layer of the model's modules is located; only nodes without a module path are not, with a reason.
    for (const s of sources.filter((x) => !x.location)) {
      assert.equal(s.modulePath, null, `${s.node} (${s.modulePath}) unlocated: ${s.reason}`);
      assert.ok(s.reason && s.reason.length > 10, `${s.node} has a reason`);
    }
    // TorchScript's second call of a module (scope `relu_1`) is that module.
    assert.ok(!sources.some((s) => /_\d+$/.test(s.modulePath ?? '')), 'no call-numbered module paths left');
  });
}

test('PyTorch: without the model code every layer says why it has no source', async () => {
  for (const exporter of ['dynamo', 'torchscript']) {
    const sources = await engine.sourceMap(engine.open(path.join(dir, 'torch', `net.${exporter}.onnx`)), [path.join(dir, 'keras', 'nets.py')]);
    assert.ok(sources.length > 10);
    for (const s of sources) {
      assert.equal(s.location, undefined, `${exporter} ${s.node}`);
      assert.match(s.reason ?? '', /no Python (definition|class)|not named/, `${exporter} ${s.node}: ${s.reason}`);
    }
  }
});

test('tf2onnx (Keras): layers land on the call that names them; an unnamed layer says so', async () => {
  const file = path.join(dir, 'keras', 'nets.py');
  const sources = await engine.sourceMap(engine.open(path.join(dir, 'keras', 'net.onnx')), [file]);
  checkLines(sources, file, true);
  const located = new Set(sources.filter((s) => s.location).map((s) => s.modulePath));
  for (const p of ['stem_conv', 'b1_conv', 'b1_relu', 'b2_conv', 'b2_relu', 'gap', 'logits']) assert.ok(located.has(p), `${p} located (got ${[...located].join(', ')})`);
  const unnamed = sources.filter((s) => s.modulePath?.startsWith('conv2d'));
  assert.ok(unnamed.length > 0);
  for (const s of unnamed) {
    assert.equal(s.location, undefined);
    assert.match(s.reason ?? '', /no Python definition of layer 'conv2d/);
  }
});

test('layersAt: a line of the block class gives the layers of every instance, narrowest first', async () => {
  const file = path.join(dir, 'torch', 'nets.py');
  const sources = await engine.sourceMap(engine.open(path.join(dir, 'torch', 'net.torchscript.onnx')), [file]);
  const conv1 = markers(file).find((m) => m.glob === '**.conv1')!.line;
  assert.deepEqual(layersAt(sources, file, conv1).map((s) => s.modulePath), ['blocks.0.conv1', 'blocks.1.conv1']);
  assert.deepEqual(layersAt(sources, file.replace(/\//g, '\\'), conv1).length, 2, 'path separators do not matter');
  assert.deepEqual(layersAt(sources, file, 0), []);
  assert.deepEqual(layersAt(sources, path.join(dir, 'keras', 'nets.py'), conv1), []);
});

test('stack traces: frames parsed, paths matched by their longest tail', () => {
  const frames = parseStackTrace('File "/a/b/model.py", line 68, in forward\n    return self.head(x)\n  File "/x/torch/nn/modules/module.py", line 3, in _call_impl\n    return f()');
  assert.deepEqual(frames, [{ file: '/a/b/model.py', line: 67, code: 'return self.head(x)' }, { file: '/x/torch/nn/modules/module.py', line: 2, code: 'return f()' }]);
  assert.equal(matchFile('/home/u/proj/b/model.py', ['/w/a/model.py', '/w/proj/b/model.py', '/w/other.py']), '/w/proj/b/model.py');
  assert.equal(matchFile('C:\\u\\proj\\model.py', ['/w/proj/model.py']), '/w/proj/model.py');
  assert.equal(matchFile('/a/nothere.py', ['/w/model.py']), undefined);
});

/**
 * What the model code shows (src/host/lensContent.ts): definitions grouped per source location (a block class
 * used several times), the lenses above each, the hover's Markdown and its PNG thumbnail (decoded back).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { definitionsIn, escapeMd, hoverMarkdown, lensesFor, pngDataUri, tileChannels } from '../../src/host/lensContent';
import { decodeImage } from '../../src/engine/image/decode';
import type { LayerInfo, LayerSource } from '../../src/protocol/types';

const file = '/ws/model.py';
const loc = (line: number, endLine = line) => ({ file, line, column: 8, endLine, endColumn: 40 });
const sources: LayerSource[] = [
  { node: '/stem/stem.0/Conv', tensor: 'stem0', modulePath: 'stem.0', location: loc(3) },
  { node: '/layer1/layer1.0/conv1/Conv', tensor: 'l10c1', modulePath: 'layer1.0.conv1', location: loc(10) },
  { node: '/layer1/layer1.1/conv1/Conv', tensor: 'l11c1', modulePath: 'layer1.1.conv1', location: loc(10) },
  // A module of two nodes (Flatten then Gemm): its output is the last.
  { node: '/head/Flatten', tensor: 'flat', modulePath: 'head', location: loc(20, 22) },
  { node: '/head/fc/Gemm', tensor: 'logits', modulePath: 'head', location: loc(20, 22) },
  { node: '/Add', tensor: 'add', modulePath: null, reason: 'no module recorded for this node' },
  { node: '/other/Conv', tensor: 'other', modulePath: 'other', location: { ...loc(5), file: '/ws/other.py' } },
];
const info = (tensor: string, op: string, shape: number[], params: number): LayerInfo => ({ tensor, node: tensor, op, shape, params });
const layers = [info('stem0', 'Conv', [1, 16, 48, 48], 432), info('l10c1', 'Conv', [1, 32, 24, 24], 4608), info('l11c1', 'Conv', [1, 32, 24, 24], 9216), info('flat', 'Flatten', [1, 64], 0), info('logits', 'Gemm', [1, 10], 650), info('add', 'Add', [1, 32, 24, 24], 0), info('other', 'Conv', [1, 8, 4, 4], 8)];

test('definitions of one file in line order; repeated blocks share a line; a module is its last node', () => {
  const defs = definitionsIn(sources, layers, '/ws/model.py');
  assert.deepEqual(defs.map((d) => [d.location.line, d.layers.map((l) => l.source.tensor)]), [[3, ['stem0']], [10, ['l10c1', 'l11c1']], [20, ['logits']]]);
  assert.equal(definitionsIn(sources, layers, '\\ws\\other.py'.replace(/\\/g, '/')).length, 1);
  assert.deepEqual(definitionsIn(sources, layers.slice(0, 1), file).map((d) => d.layers.length), [1], 'layers the engine did not list are left out');
});

test('lenses: activations · filters (Conv only) · explain here, with the layers and model as arguments', () => {
  const [stem, block, head] = definitionsIn(sources, layers, file);
  assert.deepEqual(lensesFor(stem, '/ws/m.onnx').map((l) => [l.title, l.command, l.args]), [
    ['FeatureVis: activations', 'featurevis.showActivations', [['stem0'], '/ws/m.onnx']],
    ['filters', 'featurevis.showLayerFilters', [['stem0'], '/ws/m.onnx']],
    ['explain here', 'featurevis.explainHere', [['stem0'], '/ws/m.onnx']],
  ]);
  assert.equal(lensesFor(block, undefined)[0].title, 'FeatureVis: activations (2 instances)');
  assert.deepEqual(lensesFor(head, undefined).map((l) => l.title), ['FeatureVis: activations', 'explain here']);
});

test('hover: module paths, ops, shapes and parameters; the thumbnail as a data URI image; Markdown escaped', () => {
  const [, block] = definitionsIn(sources, layers, file);
  const md = hoverMarkdown(block, { png: 'data:image/png;base64,AAAA', tensor: 'l10c1', channels: [3, 1], imageName: 'cat.png' });
  assert.match(md, /\*\*layer1\\\.0\\\.conv1\*\* · Conv → \[1×32×24×24\] · 4,608 parameters/);
  assert.match(md, /\*\*layer1\\\.1\\\.conv1\*\* · Conv → \[1×32×24×24\] · 9,216 parameters/);
  assert.match(md, /by mean activation: 3, 1/);
  assert.ok(md.endsWith('![strongest channels](data:image/png;base64,AAAA)'));
  assert.doesNotMatch(md, /<[a-z]/i, 'no HTML');
  assert.match(hoverMarkdown(block, undefined, 'no image'), /\*No activations: no image\*/);
  assert.equal(escapeMd('a_b*[c]'), 'a\\_b\\*\\[c\\]');
});

test('thumbnail: channels tiled on one scale, nearest-upsampled, a valid PNG', () => {
  const ch = (index: number, values: number[]) => ({ index, mean: 0, max: Math.max(...values), map: { data: Float32Array.from(values), dims: [2, 2] } });
  const t = tileChannels([ch(0, [0, 1, 2, 4]), ch(1, [4, 4, 4, 4]), ch(2, [0, 0, 0, 0])], 2, 4);
  assert.deepEqual([t.width, t.height], [10, 10]);
  const px = (x: number, y: number) => Array.from(t.data.subarray(4 * (y * t.width + x), 4 * (y * t.width + x) + 4));
  assert.deepEqual(px(3, 3), px(6, 0), 'the max of channel 0 and channel 1 share a colour (one scale)');
  assert.notDeepEqual(px(0, 0), px(3, 3));
  assert.deepEqual(px(0, 0), px(1, 1), 'nearest upsampling: a 2×2 cell per value');
  assert.deepEqual(px(0, 6), px(0, 0), 'zero is the same colour in every channel');
  assert.equal(px(4, 0)[3], 0, 'the gap is transparent');
  const uri = pngDataUri(t);
  assert.ok(uri.startsWith('data:image/png;base64,'));
  const back = decodeImage(Buffer.from(uri.split(',')[1], 'base64'), 't.png');
  assert.deepEqual([back.width, back.height], [10, 10]);
  assert.deepEqual(Array.from(back.data), Array.from(t.data));
});

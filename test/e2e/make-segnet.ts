/**
 * Writes test/e2e/fixtures/segnet.onnx (+ segnet.json sidecar): a tiny hand-weighted "segmentation" model for the
 * end-to-end test of the mask overlay — a stride-4 colour head (96² input → 24×24 logits for 3 classes: warm, dark,
 * light). Run: node --import tsx test/e2e/make-segnet.ts
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeModel } from '../../src/engine/onnx/codec';
import { attr, type Model } from '../../src/engine/ir/graph';
import { ConstTensor, DataType } from '../../src/engine/ir/tensor';

// Features per 4×4 patch of the normalised image: R − B (warmth), −brightness, +brightness; then ReLU and a 1×1 mix.
const FEATURES = [[1, 0, -1], [-1, -1, -1], [1, 1, 1]];
const MIX = [[2, 0, 0], [0, 1, 0], [0, 0, 1]];
const BIAS = [0, 0.3, 0];

const w1: number[] = [];
for (const f of FEATURES) for (const c of f) for (let t = 0; t < 16; t++) w1.push(c / 16);
const w2 = MIX.flat();
const model: Model = {
  irVersion: 8, opsets: [{ domain: '', version: 17 }], producerName: 'featurevis-e2e', producerVersion: '',
  domain: '', modelVersion: 1, docString: 'hand-weighted colour segmenter for the e2e test', metadata: [], functions: [],
  graph: {
    name: 'segnet',
    nodes: [
      { name: 'patches', op: 'Conv', domain: '', inputs: ['image', 'w1'], outputs: ['features'], attrs: new Map([['kernel_shape', attr.ints([4, 4])], ['strides', attr.ints([4, 4])]]) },
      { name: 'relu', op: 'Relu', domain: '', inputs: ['features'], outputs: ['active'], attrs: new Map() },
      { name: 'head', op: 'Conv', domain: '', inputs: ['active', 'w2', 'b2'], outputs: ['logits'], attrs: new Map([['kernel_shape', attr.ints([1, 1])]]) },
    ],
    inputs: [{ name: 'image', elemType: DataType.FLOAT, dims: [1, 3, 96, 96] }],
    outputs: [{ name: 'logits', elemType: DataType.FLOAT, dims: [1, 3, 24, 24] }],
    initializers: new Map([
      ['w1', ConstTensor.float32([3, 3, 4, 4], w1)],
      ['w2', ConstTensor.float32([3, 3, 1, 1], w2)],
      ['b2', ConstTensor.float32([3], BIAS)],
    ]),
    valueInfo: [],
  },
};
const dir = path.join(__dirname, 'fixtures');
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, 'segnet.onnx'), encodeModel(model));
fs.writeFileSync(path.join(dir, 'segnet.json'), JSON.stringify({
  name: 'Colour segmenter (e2e)', size: [96, 96], mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225],
  channels: 'RGB', labels: ['warm', 'dark', 'light'],
}, null, 2) + '\n');

/**
 * Conv → Relu → GlobalAveragePool → Flatten → Gemm, for layout tests: the NHWC twin reads (N, H, W, C) and
 * transposes it first, as tf2onnx does before each Conv. Same weights (w, b, fc, fb), so the twins compute the same
 * function up to the layout.
 */
import { attr, type Model, type Node } from '../../src/engine/ir/graph';
import { DataType, type ConstTensor } from '../../src/engine/ir/tensor';

export function twinModel(weights: Record<'w' | 'b' | 'fc' | 'fb', ConstTensor>, nhwc: boolean, dims: (number | string)[]): Model {
  const node = (op: string, inputs: string[], output: string, attrs: Record<string, ReturnType<typeof attr.i>> = {}): Node =>
    ({ name: output, op, domain: '', inputs, outputs: [output], attrs: new Map(Object.entries(attrs)) });
  const nodes = [
    ...(nhwc ? [node('Transpose', ['x'], 'xt', { perm: attr.ints([0, 3, 1, 2]) })] : []),
    node('Conv', [nhwc ? 'xt' : 'x', 'w', 'b'], 'conv', { pads: attr.ints([1, 1, 1, 1]) }),
    node('Relu', ['conv'], 'relu'),
    node('GlobalAveragePool', ['relu'], 'gap'),
    node('Flatten', ['gap'], 'flat'),
    node('Gemm', ['flat', 'fc', 'fb'], 'logits', { transB: attr.i(1) }),
  ];
  return {
    irVersion: 8, opsets: [{ domain: '', version: 17 }], producerName: 'featurevis-test', producerVersion: '',
    domain: '', modelVersion: 1, docString: '', metadata: [], functions: [],
    graph: {
      name: 'twin', nodes, inputs: [{ name: 'x', elemType: DataType.FLOAT, dims }],
      outputs: [{ name: 'logits', elemType: DataType.FLOAT }], initializers: new Map(Object.entries(weights)), valueInfo: [],
    },
  };
}

/** Builds one-node ONNX models in a temp folder, for finite-difference checks of each backward rule. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeModel } from '../../src/engine/onnx/codec';
import type { AttrValue, Model, Node } from '../../src/engine/ir/graph';
import { ConstTensor, DataType } from '../../src/engine/ir/tensor';

export interface OneNodeSpec {
  op: string;
  /** Node inputs: 'x' is the model input; other names refer to `consts`. */
  inputs: string[];
  attrs?: Record<string, AttrValue>;
  consts?: Record<string, ConstTensor>;
  inputShape: number[];
  outputs?: number;
  opset?: number;
  /**
   * Nodes computed before the main node (attention, normalisation chains): each reads 'x', consts or earlier
   * outputs; the main node may then read their outputs. Named t0, t1, … unless `outputs` is given.
   */
  before?: { op: string; inputs: string[]; outputs?: string[]; attrs?: Record<string, AttrValue> }[];
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featurevis-onenode-'));
let counter = 0;

export function oneNodeModel(spec: OneNodeSpec): string {
  const outputs = Array.from({ length: spec.outputs ?? 1 }, (_, i) => `y${i}`);
  const node: Node = { name: spec.op, op: spec.op, domain: '', inputs: spec.inputs, outputs, attrs: new Map(Object.entries(spec.attrs ?? {})) };
  const before: Node[] = (spec.before ?? []).map((n, i) => ({
    name: `${n.op}_${i}`, op: n.op, domain: '', inputs: n.inputs, outputs: n.outputs ?? [`t${i}`], attrs: new Map(Object.entries(n.attrs ?? {})),
  }));
  const model: Model = {
    irVersion: 8, opsets: [{ domain: '', version: spec.opset ?? 17 }], producerName: 'featurevis-test', producerVersion: '',
    domain: '', modelVersion: 1, docString: '', metadata: [], functions: [],
    graph: {
      name: 'onenode', nodes: [...before, node],
      inputs: [{ name: 'x', elemType: DataType.FLOAT, dims: spec.inputShape }],
      outputs: outputs.map((name) => ({ name, elemType: DataType.FLOAT })),
      initializers: new Map(Object.entries(spec.consts ?? {})), valueInfo: [],
    },
  };
  const file = path.join(dir, `${spec.op}-${counter++}.onnx`);
  fs.writeFileSync(file, encodeModel(model));
  return file;
}

export { rng } from '../rng';

export function randn(n: number, next: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
  return out;
}

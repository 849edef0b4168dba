/** Sessions the model check runs: a graph's forward pass, its compiled gradient, and chosen intermediate tensors. */
import * as ort from 'onnxruntime-node';
import { compiledFeeds, compileGraph, liftOpset, type CompiledGraph } from '../compile';
import { GRADIENT_PLAN } from '../plans/backward';
import type { RuleRegistry } from '../backward/registry';
import { cloneGraph, type Graph, type Model } from '../ir/graph';
import { ConstTensor, DataType, type TypedData } from '../ir/tensor';
import { encodeModel } from '../onnx/codec';
import { sessionOptions, type SessionSettings } from '../model';


const ORT_DTYPES: Record<string, number> = { float32: DataType.FLOAT, int64: DataType.INT64, int32: DataType.INT32, bool: DataType.BOOL, float64: DataType.DOUBLE, uint8: DataType.UINT8, int8: DataType.INT8 };

export async function sessionFor(model: Model, graph: Graph, settings: SessionSettings): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(encodeModel({ ...model, opsets: liftOpset(model), graph }), sessionOptions(settings));
}

/** The values of `names` (any element type) for one input, from a run of the prepared graph. */
export async function intermediates(model: Model, graph: Graph, inputName: string, input: ort.Tensor, names: string[], settings: SessionSettings): Promise<Map<string, ConstTensor>> {
  const g = cloneGraph(graph);
  g.outputs = names.map((name) => ({ name, elemType: 0 }));
  const session = await sessionFor(model, g, settings);
  try {
    const out = await session.run({ [inputName]: input });
    const values = new Map<string, ConstTensor>();
    for (const [name, t] of Object.entries(out)) {
      values.set(name, ConstTensor.fromTyped(ORT_DTYPES[t.type] ?? DataType.FLOAT, [...t.dims].map(Number), (t.data as TypedData).slice() as TypedData));
      t.dispose();
    }
    return values;
  } finally {
    await session.release();
  }
}

export interface GradientRunner {
  /** ∇_x Σ weights ⊙ target. */
  gradient(x: Float32Array, weights: Float32Array): Promise<Float32Array>;
  release(): Promise<void>;
}

/** Compiles the plain gradient of `target` w.r.t. the graph's data input with the given rules. */
export async function gradientRunner(model: Model, graph: Graph, shapes: Map<string, number[]>, registry: RuleRegistry,
  target: string, inputName: string, settings: SessionSettings): Promise<GradientRunner> {
  const compiled: CompiledGraph = compileGraph(model, graph, shapes, registry, GRADIENT_PLAN, target);
  const session = await ort.InferenceSession.create(compiled.bytes, sessionOptions(settings));
  const inDims = shapes.get(inputName)!;
  const wDims = shapes.get(target)!;
  return {
    async gradient(x, weights) {
      const feeds: Record<string, ort.Tensor> = { [inputName]: new ort.Tensor('float32', x, inDims) };
      for (const [name, t] of compiledFeeds(compiled, { params: {}, weights: { data: weights, dims: wDims } })) feeds[name] = new ort.Tensor('float32', t.data, t.dims);
      const out = await session.run(feeds, [compiled.relevance]);
      const g = Float32Array.from(out[compiled.relevance].data as Float32Array);
      out[compiled.relevance].dispose();
      return g;
    },
    release: () => session.release(),
  };
}

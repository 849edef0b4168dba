/**
 * Shape discovery by one run of the model with every intermediate tensor exposed as an output. This gives exact
 * static shapes for a fixed input size, and the values of the shape-computing subgraphs PyTorch exports
 * (Shape → Gather → Unsqueeze → Concat → Reshape), for any op onnxruntime supports, without re-implementing
 * ONNX shape inference.
 */
import * as ort from 'onnxruntime-node';
import { cloneGraph, type Model } from './graph';
import { ConstTensor, DataType, type TypedData } from './tensor';
import { encodeModel, externalDataOptions, externalFolderOf } from '../onnx/codec';

export interface ProbeResult {
  shapes: Map<string, number[]>;
  elemTypes: Map<string, number>;
  /** Values of non-float tensors and of small float tensors (candidates for constant folding). */
  values: Map<string, ConstTensor>;
}

const ORT_TYPES: Record<string, number> = {
  float32: DataType.FLOAT, float64: DataType.DOUBLE, int64: DataType.INT64, int32: DataType.INT32, bool: DataType.BOOL,
  uint8: DataType.UINT8, int8: DataType.INT8, float16: DataType.FLOAT16,
};

export async function probeModel(model: Model, feeds: Record<string, ort.Tensor>): Promise<ProbeResult> {
  const graph = cloneGraph(model.graph);
  const known = new Set(graph.outputs.map((o) => o.name));
  for (const n of graph.nodes) {
    for (const o of n.outputs) {
      if (o && !known.has(o)) {
        graph.outputs.push({ name: o, elemType: 0 });
        known.add(o);
      }
    }
  }
  // Weights left in the model's file are read from there by onnxruntime (no serialized copy here); one run, so no
  // prepacked second copy of them either; the session and all it held go when the probe ends.
  const folder = externalFolderOf(model);
  const extra = externalDataOptions(folder).extra ?? {};
  const session = await ort.InferenceSession.create(encodeModel({ ...model, graph }, { externalFolder: folder }), {
    graphOptimizationLevel: 'basic',
    enableCpuMemArena: false,
    extra: { ...extra, session: { ...(extra.session as object), disable_prepacking: '1' } },
  });
  try {
    const results = await session.run(feeds);
    const shapes = new Map<string, number[]>();
    const elemTypes = new Map<string, number>();
    const values = new Map<string, ConstTensor>();
    for (const [name, t] of Object.entries(feeds)) {
      shapes.set(name, [...t.dims]);
      elemTypes.set(name, ORT_TYPES[t.type] ?? 0);
    }
    for (const [name, t] of graph.initializers) {
      shapes.set(name, t.dims);
      elemTypes.set(name, t.dataType);
    }
    for (const [name, t] of Object.entries(results)) {
      const dims = [...t.dims].map(Number);
      shapes.set(name, dims);
      const dt = ORT_TYPES[t.type] ?? 0;
      elemTypes.set(name, dt);
      if (dt !== DataType.FLOAT || t.size <= 64) {
        values.set(name, ConstTensor.fromTyped(dt, dims, (t.data as TypedData).slice() as TypedData));
      }
      t.dispose();
    }
    return { shapes, elemTypes, values };
  } finally {
    await session.release();
  }
}

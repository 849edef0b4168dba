/** Decode and encode ONNX ModelProto bytes to and from the IR, with protobufjs (reflection over ./schema). */
import * as protobuf from 'protobufjs';
import { ONNX_PROTO } from './schema';
import type { AttrValue, Graph, Model, Node, ValueInfo } from '../ir/graph';
import * as path from 'node:path';
import { checkSpan, ConstTensor, DataType, type FileSpan } from '../ir/tensor';

const root = protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
const ModelProto = root.lookupType('onnx.ModelProto');

/** Raised when bytes are not an ONNX model; the message says what the user should do. */
export class OnnxFormatError extends Error {}

type Long = { toNumber(): number } | number;
const num = (v: Long | undefined | null): number => (v == null ? 0 : typeof v === 'number' ? v : v.toNumber());

/** Resolves a tensor stored outside the model file (ONNX external data): its bytes, or where they lie (left there). */
export type ExternalDataReader = (location: string, offset: number, length: number | undefined) => Uint8Array | FileSpan;

/** Where a tensor's raw_data (a view of the decoded bytes) lies in the model file; undefined to keep it in memory. */
export type RawDataSpan = (raw: Uint8Array) => FileSpan | undefined;

// The decoded protobuf objects are untyped; these aliases keep the conversion code readable.
type P = any;

/**
 * `spanOf`: tensors it places in the file stay there (ConstTensor.source); the others are copied out of `bytes`, so
 * the caller can drop the file's bytes once decoded.
 */
export function decodeModel(bytes: Uint8Array, readExternal?: ExternalDataReader, spanOf?: RawDataSpan): Model {
  let m: P;
  try {
    m = ModelProto.decode(bytes);
  } catch (e) {
    throw new OnnxFormatError(`not a valid ONNX file (protobuf decoding failed: ${(e as Error).message})`);
  }
  if (!m.graph || !m.graph.node || m.graph.node.length === 0 || !m.opset_import || m.opset_import.length === 0) {
    throw new OnnxFormatError('the file decodes but holds no ONNX graph (no nodes or no opset); is it an ONNX model?');
  }
  const tensor = (t: P): ConstTensor => decodeTensor(t, readExternal, spanOf);
  return {
    irVersion: num(m.ir_version),
    opsets: m.opset_import.map((o: P) => ({ domain: o.domain ?? '', version: num(o.version) })),
    producerName: m.producer_name ?? '',
    producerVersion: m.producer_version ?? '',
    domain: m.domain ?? '',
    modelVersion: num(m.model_version),
    docString: m.doc_string ?? '',
    metadata: (m.metadata_props ?? []).map((p: P) => ({ key: p.key ?? '', value: p.value ?? '' })),
    graph: decodeGraph(m.graph, tensor),
    functions: m.functions ?? [],
  };
}

function decodeGraph(g: P, tensor: (t: P) => ConstTensor): Graph {
  const initializers = new Map<string, ConstTensor>();
  for (const t of g.initializer ?? []) initializers.set(t.name ?? '', tensor(t));
  return {
    name: g.name ?? 'graph',
    nodes: (g.node ?? []).map((n: P, i: number) => decodeNode(n, i, tensor)),
    inputs: (g.input ?? []).map(decodeValueInfo),
    outputs: (g.output ?? []).map(decodeValueInfo),
    initializers,
    valueInfo: (g.value_info ?? []).map(decodeValueInfo),
  };
}

function decodeNode(n: P, index: number, tensor: (t: P) => ConstTensor): Node {
  const attrs = new Map<string, AttrValue>();
  for (const a of n.attribute ?? []) attrs.set(a.name, decodeAttr(a, tensor));
  const node: Node = {
    name: n.name || `${n.op_type}_${index}`,
    op: n.op_type ?? '',
    domain: n.domain === 'ai.onnx' ? '' : n.domain ?? '',
    inputs: [...(n.input ?? [])],
    outputs: [...(n.output ?? [])],
    attrs,
  };
  const props = (n.metadata_props ?? []) as { key?: string; value?: string }[];
  if (n.doc_string || props.length) {
    node.meta = {};
    if (n.doc_string) node.meta.docString = n.doc_string;
    if (props.length) node.meta.props = Object.fromEntries(props.map((p) => [p.key ?? '', p.value ?? '']));
  }
  return node;
}

const AT = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 };
const utf8 = new TextDecoder();

function decodeAttr(a: P, tensor: (t: P) => ConstTensor): AttrValue {
  switch (a.type) {
    case AT.FLOAT: return { kind: 'float', value: a.f ?? 0 };
    case AT.INT: return { kind: 'int', value: num(a.i) };
    case AT.STRING: return { kind: 'string', value: utf8.decode(a.s ?? new Uint8Array()) };
    case AT.TENSOR: return { kind: 'tensor', value: tensor(a.t) };
    case AT.FLOATS: return { kind: 'floats', value: [...(a.floats ?? [])] };
    case AT.INTS: return { kind: 'ints', value: (a.ints ?? []).map(num) };
    case AT.STRINGS: return { kind: 'strings', value: (a.strings ?? []).map((s: Uint8Array) => utf8.decode(s)) };
    default: return { kind: 'opaque', value: a };
  }
}

function decodeValueInfo(v: P): ValueInfo {
  const tt = v.type?.tensor_type;
  return {
    name: v.name ?? '',
    elemType: tt?.elem_type ?? 0,
    // `value` names the member of the dim oneof that is set (protobufjs fills unset scalars with defaults).
    dims: tt?.shape ? (tt.shape.dim ?? []).map((d: P) =>
      d.value === 'dim_value' ? num(d.dim_value) : d.value === 'dim_param' ? String(d.dim_param) : null) : undefined,
  };
}

function decodeTensor(t: P, readExternal?: ExternalDataReader, spanOf?: RawDataSpan): ConstTensor {
  const dims = (t.dims ?? []).map(num);
  const dataType = t.data_type ?? DataType.FLOAT;
  if (t.data_location === 1) {
    const entries = new Map<string, string>((t.external_data ?? []).map((e: P) => [e.key, e.value]));
    const location = entries.get('location');
    if (!location || !readExternal) {
      throw new OnnxFormatError(`tensor '${t.name}' keeps its data in an external file that cannot be read`);
    }
    const length = entries.has('length') ? Number(entries.get('length')) : undefined;
    const data = readExternal(location, Number(entries.get('offset') ?? 0), length);
    return data instanceof Uint8Array ? new ConstTensor(dataType, dims, data) : ConstTensor.inFile(dataType, dims, data);
  }
  if (t.raw_data && t.raw_data.length > 0) {
    if (!spanOf) return new ConstTensor(dataType, dims, t.raw_data);
    const span = spanOf(t.raw_data);
    return span ? ConstTensor.inFile(dataType, dims, span) : new ConstTensor(dataType, dims, new Uint8Array(t.raw_data));
  }
  switch (dataType) {
    case DataType.FLOAT: return ConstTensor.fromTyped(dataType, dims, Float32Array.from(t.float_data ?? []));
    case DataType.DOUBLE: return ConstTensor.fromTyped(dataType, dims, Float64Array.from(t.double_data ?? []));
    case DataType.INT64:
      return ConstTensor.fromTyped(dataType, dims, BigInt64Array.from((t.int64_data ?? []).map((v: Long) => BigInt(num(v)))));
    case DataType.INT32: case DataType.INT16: case DataType.INT8: case DataType.UINT8: case DataType.UINT16:
    case DataType.BOOL: case DataType.FLOAT16: {
      const ints: number[] = t.int32_data ?? [];
      const typed = dataType === DataType.INT32 ? Int32Array.from(ints)
        : dataType === DataType.INT16 ? Int16Array.from(ints)
          : dataType === DataType.INT8 ? Int8Array.from(ints)
            : dataType === DataType.UINT16 || dataType === DataType.FLOAT16 ? Uint16Array.from(ints)
              : Uint8Array.from(ints);
      return ConstTensor.fromTyped(dataType, dims, typed);
    }
    default:
      return new ConstTensor(dataType, dims, new Uint8Array(0));
  }
}

export interface EncodeOptions {
  /**
   * Initializers left in files of this folder (ConstTensor.source) are written as external data pointing at them,
   * so the bytes hold no weights; the session needs externalDataOptions(folder). Other tensors are embedded.
   */
  externalFolder?: string;
}

/** The folder of the model's file-backed initializers (the one holding most of their bytes), if any. */
export function externalFolderOf(model: Model): string | undefined {
  const bytes = new Map<string, number>();
  for (const t of model.graph.initializers.values()) {
    if (t.source) bytes.set(path.dirname(t.source.file), (bytes.get(path.dirname(t.source.file)) ?? 0) + t.source.length);
  }
  return [...bytes].sort((a, b) => b[1] - a[1])[0]?.[0];
}

/** Session options under which onnxruntime resolves the external data of bytes encoded with `externalFolder`. */
export function externalDataOptions(folder: string | undefined): { extra?: Record<string, unknown> } {
  return folder ? { extra: { session: { model_external_initializers_file_folder_path: folder } } } : {};
}

export function encodeModel(model: Model, options: EncodeOptions = {}): Uint8Array {
  const m = {
    ir_version: model.irVersion,
    opset_import: model.opsets.map((o) => ({ domain: o.domain, version: o.version })),
    producer_name: model.producerName,
    producer_version: model.producerVersion,
    domain: model.domain,
    model_version: model.modelVersion,
    doc_string: model.docString,
    graph: encodeGraph(model.graph, options.externalFolder),
    metadata_props: model.metadata,
    functions: model.functions,
  };
  return ModelProto.encode(ModelProto.fromObject(m)).finish();
}

function encodeGraph(g: Graph, externalFolder?: string): P {
  return {
    name: g.name,
    node: g.nodes.map(encodeNode),
    initializer: [...g.initializers].map(([name, t]) => encodeTensor(name, t, externalFolder)),
    input: g.inputs.map(encodeValueInfo),
    output: g.outputs.map(encodeValueInfo),
    value_info: g.valueInfo.map(encodeValueInfo),
  };
}

function encodeNode(n: Node): P {
  return {
    name: n.name,
    op_type: n.op,
    domain: n.domain,
    input: n.inputs,
    output: n.outputs,
    attribute: [...n.attrs].map(([name, a]) => encodeAttr(name, a)),
  };
}

const utf8e = new TextEncoder();

function encodeAttr(name: string, a: AttrValue): P {
  switch (a.kind) {
    case 'float': return { name, type: AT.FLOAT, f: a.value };
    case 'int': return { name, type: AT.INT, i: a.value };
    case 'string': return { name, type: AT.STRING, s: utf8e.encode(a.value) };
    case 'tensor': return { name, type: AT.TENSOR, t: encodeTensor('', a.value) };
    case 'floats': return { name, type: AT.FLOATS, floats: a.value };
    case 'ints': return { name, type: AT.INTS, ints: a.value };
    case 'strings': return { name, type: AT.STRINGS, strings: a.value.map((s) => utf8e.encode(s)) };
    case 'opaque': return a.value;
  }
}

function encodeTensor(name: string, t: ConstTensor, externalFolder?: string): P {
  const s = t.source;
  const location = s && externalFolder !== undefined ? path.relative(externalFolder, s.file) : undefined;
  if (s && location && !location.startsWith('..') && !path.isAbsolute(location)) {
    checkSpan(s);
    const external_data = [{ key: 'location', value: location }, { key: 'offset', value: String(s.offset) }, { key: 'length', value: String(s.length) }];
    return { name, dims: t.dims, data_type: t.dataType, data_location: 1, external_data };
  }
  return { name, dims: t.dims, data_type: t.dataType, raw_data: t.bytes() };
}

function encodeValueInfo(v: ValueInfo): P {
  const out: P = { name: v.name };
  if (v.elemType) {
    out.type = { tensor_type: { elem_type: v.elemType } };
    if (v.dims) {
      out.type.tensor_type.shape = {
        dim: v.dims.map((d) => (typeof d === 'number' ? { dim_value: d } : typeof d === 'string' ? { dim_param: d } : {})),
      };
    }
  }
  return out;
}

/** A local function (FunctionProto) decoded for inlining; attributes that refer to the caller's are listed in `refs`. */
export interface FunctionBody {
  name: string;
  domain: string;
  overload: string;
  inputs: string[];
  outputs: string[];
  /** Declared attribute names, with defaults where the function gives them. */
  defaults: Map<string, AttrValue | undefined>;
  nodes: { node: Node; refs: Map<string, string> }[];
}

export function decodeFunction(fn: P): FunctionBody {
  const tensor = (t: P): ConstTensor => decodeTensor(t);
  const defaults = new Map<string, AttrValue | undefined>();
  for (const a of fn.attribute ?? []) defaults.set(a, undefined);
  for (const a of fn.attribute_proto ?? []) defaults.set(a.name, decodeAttr(a, tensor));
  const nodes = (fn.node ?? []).map((n: P, i: number) => {
    const refs = new Map<string, string>();
    const plain = { ...n, attribute: (n.attribute ?? []).filter((a: P) => {
      if (a.ref_attr_name) refs.set(a.name, a.ref_attr_name);
      return !a.ref_attr_name;
    }) };
    return { node: decodeNode(plain, i, tensor), refs };
  });
  return { name: fn.name ?? '', domain: fn.domain ?? '', overload: fn.overload ?? '', inputs: [...(fn.input ?? [])], outputs: [...(fn.output ?? [])], defaults, nodes };
}

/** Constant tensors (initializers, attribute tensors, probe results) and their ONNX element types. */
import * as fs from 'node:fs';

export const DataType = {
  FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9, FLOAT16: 10,
  DOUBLE: 11, UINT32: 12, UINT64: 13,
} as const;

export type TypedData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array
  | Uint16Array | Int16Array | Uint32Array | BigUint64Array;

const ELEMENT_BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8 };

export const DTYPE_NAMES: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool',
  10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64',
};

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/**
 * Where a tensor's bytes lie in a file (the model file, or its external data file), with the file's size and mtime
 * when it was read: big weights are not held in memory, onnxruntime reads them from the file itself.
 */
export interface FileSpan {
  file: string;
  offset: number;
  length: number;
  size: number;
  mtimeMs: number;
}

/** Fails when the file changed since it was read (its bytes at the span would be other weights). */
export function checkSpan(span: FileSpan): void {
  const st = fs.statSync(span.file);
  if (st.size !== span.size || st.mtimeMs !== span.mtimeMs) throw new Error(`${span.file} changed on disk since the model was opened; open it again`);
}

function readSpan(span: FileSpan): Uint8Array {
  checkSpan(span);
  const buf = Buffer.allocUnsafeSlow(span.length);
  const fd = fs.openSync(span.file, 'r');
  try {
    if (fs.readSync(fd, buf, 0, span.length, span.offset) !== span.length) throw new Error(`${span.file} is shorter than when the model was opened`);
  } finally {
    fs.closeSync(fd);
  }
  return buf;
}

/**
 * A constant tensor. Large weights stay as the little-endian bytes they were read as (`raw`), so a model's
 * initializers pass through a compile untouched; `values()` materialises a typed array only where a rule needs one.
 */
export class ConstTensor {
  private cached?: TypedData;
  constructor(
    readonly dataType: number,
    readonly dims: number[],
    private raw?: Uint8Array,
    values?: TypedData,
    /** Set for weights left in their file: bytes() reads them on demand (not kept), onnxruntime from the file. */
    readonly source?: FileSpan,
  ) {
    this.cached = values;
  }

  static inFile(dataType: number, dims: number[], source: FileSpan): ConstTensor {
    return new ConstTensor(dataType, dims, undefined, undefined, source);
  }

  static float32(dims: number[], data: Float32Array | number[]): ConstTensor {
    return new ConstTensor(DataType.FLOAT, dims, undefined, data instanceof Float32Array ? data : Float32Array.from(data));
  }
  static int64(dims: number[], data: number[] | BigInt64Array): ConstTensor {
    return new ConstTensor(DataType.INT64, dims, undefined,
      data instanceof BigInt64Array ? data : BigInt64Array.from(data.map((v) => BigInt(Math.trunc(v)))));
  }
  static fromTyped(dataType: number, dims: number[], data: TypedData): ConstTensor {
    return new ConstTensor(dataType, dims, undefined, data);
  }

  get size(): number {
    return elementCount(this.dims);
  }

  /** The values as the typed array of this element type (copied once into aligned memory if read from bytes). */
  values(): TypedData {
    if (this.cached) return this.cached;
    const raw = this.raw ?? (this.source ? readSpan(this.source) : new Uint8Array(0));
    const bytes = ELEMENT_BYTES[this.dataType];
    if (!bytes) throw new Error(`tensor element type ${DTYPE_NAMES[this.dataType] ?? this.dataType} is not supported`);
    const aligned = new Uint8Array(raw.byteLength);
    aligned.set(raw);
    const buf = aligned.buffer;
    const n = raw.byteLength / bytes;
    const map: Record<number, () => TypedData> = {
      1: () => new Float32Array(buf, 0, n), 2: () => new Uint8Array(buf, 0, n), 3: () => new Int8Array(buf, 0, n),
      4: () => new Uint16Array(buf, 0, n), 5: () => new Int16Array(buf, 0, n), 6: () => new Int32Array(buf, 0, n),
      7: () => new BigInt64Array(buf, 0, n), 9: () => new Uint8Array(buf, 0, n), 10: () => new Uint16Array(buf, 0, n),
      11: () => new Float64Array(buf, 0, n), 12: () => new Uint32Array(buf, 0, n), 13: () => new BigUint64Array(buf, 0, n),
    };
    this.cached = map[this.dataType]();
    return this.cached;
  }

  /** Little-endian bytes for serialisation; the original buffer when nothing was computed. */
  bytes(): Uint8Array {
    if (this.raw) return this.raw;
    if (this.source && !this.cached) return readSpan(this.source);
    const v = this.values();
    return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  }

  /** Values as JS numbers (int64 narrowed, clamped to the safe range); for shapes, indices and small constants. */
  numbers(): number[] {
    const v = this.values();
    const out: number[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      out[i] = typeof x === 'bigint' ? clampBig(x) : (x as number);
    }
    return out;
  }

  floats(): Float32Array {
    const v = this.values();
    if (v instanceof Float32Array) return v;
    return Float32Array.from(this.numbers());
  }
}

function clampBig(x: bigint): number {
  if (x > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  if (x < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
  return Number(x);
}

/** NumPy .npy read/write for float32 arrays (float64 and integer arrays are read and converted). */
import * as fs from 'node:fs';
import type { TensorData } from '../protocol/types';
import { invalidInput } from './errors';

export function parseNpy(buf: Uint8Array, name = 'array'): TensorData {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 10 || b.toString('latin1', 0, 6) !== '\x93NUMPY') throw invalidInput(`${name} is not a .npy file`);
  const major = b[6];
  const headerLen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = b.toString('latin1', major === 1 ? 10 : 12, start);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw invalidInput(`${name}: unreadable .npy header`);
  if (fortran) throw invalidInput(`${name} is in Fortran order; save it with np.ascontiguousarray`);
  const dims = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const n = dims.reduce((a, c) => a * c, 1);
  const body = b.subarray(start);
  const readers: Record<string, [number, (o: number) => number]> = {
    '<f4': [4, (o) => body.readFloatLE(o)], '<f8': [8, (o) => body.readDoubleLE(o)],
    '<i8': [8, (o) => Number(body.readBigInt64LE(o))], '<i4': [4, (o) => body.readInt32LE(o)],
    '|u1': [1, (o) => body[o]], '<f2': [2, (o) => halfToFloat(body.readUInt16LE(o))],
  };
  const reader = readers[descr];
  if (!reader) throw invalidInput(`${name} has dtype ${descr}; FeatureVis reads float32, float64 and integer arrays`);
  const [size, read] = reader;
  if (body.length < n * size) throw invalidInput(`${name} is truncated (expected ${n} values of shape [${dims.join(', ')}])`);
  const data = new Float32Array(n);
  if (descr === '<f4') {
    const aligned = new Uint8Array(n * 4);
    aligned.set(body.subarray(0, n * 4));
    data.set(new Float32Array(aligned.buffer));
  } else for (let i = 0; i < n; i++) data[i] = read(i * size);
  return { data, dims };
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

export function readNpy(file: string): TensorData {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw invalidInput(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseNpy(bytes, file);
}

export function encodeNpy(t: TensorData): Buffer {
  const shape = t.dims.length === 1 ? `(${t.dims[0]},)` : `(${t.dims.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), body]);
}

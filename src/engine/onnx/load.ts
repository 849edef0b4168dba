/** Reading a model from disk, with external-data files resolved next to it. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeModel, OnnxFormatError } from './codec';
import type { Model } from '../ir/graph';

/**
 * Tensors from this size on are left in their file (ConstTensor.source) rather than held decoded: onnxruntime reads
 * them from the file as external data, so the process holds the weights once (in onnxruntime), not per copy.
 */
export const IN_FILE_BYTES = 16 * 1024;

export function loadModelFile(file: string): Model {
  let bytes: Buffer;
  let stat: fs.Stats;
  try {
    // A FIFO or device would block or never end; checked by path, before opening.
    stat = fs.statSync(file);
    if (!stat.isFile()) throw new OnnxFormatError(`cannot read model file ${file}: not a regular file`);
    bytes = fs.readFileSync(file);
  } catch (e) {
    if (e instanceof OnnxFormatError) throw e;
    throw new OnnxFormatError(`cannot read model file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const dir = fs.realpathSync(path.dirname(file));
  const real = fs.realpathSync(file);
  const opened = new Map<string, { fd: number; size: number; mtimeMs: number }>();
  // raw_data is a view of `bytes` (protobufjs slices, never copies), so its offset in the file is its byteOffset.
  const spanOf = (raw: Uint8Array) => raw.byteLength < IN_FILE_BYTES || raw.buffer !== bytes.buffer ? undefined
    : { file: real, offset: raw.byteOffset - bytes.byteOffset, length: raw.byteLength, size: stat.size, mtimeMs: stat.mtimeMs };
  try {
    return decodeModel(bytes, (location, offset, length) => {
      // Symlinks are followed before the check, so a link inside the folder cannot lead outside it.
      const outside = () => new OnnxFormatError(`external data location '${location}' points outside the model's folder`);
      if (!path.resolve(dir, location).startsWith(dir + path.sep)) throw outside();
      let full: string;
      try {
        full = fs.realpathSync(path.resolve(dir, location));
      } catch {
        throw new OnnxFormatError(`the model's external data file '${location}' is missing next to ${path.basename(file)}`);
      }
      if (!full.startsWith(dir + path.sep)) throw outside();
      let f = opened.get(full);
      if (f === undefined) {
        let fd: number;
        try {
          fd = fs.openSync(full, 'r');
        } catch {
          throw new OnnxFormatError(`the model's external data file '${location}' is missing next to ${path.basename(file)}`);
        }
        const stat = fs.fstatSync(fd);
        f = { fd, size: stat.size, mtimeMs: stat.mtimeMs };
        opened.set(full, f);
        if (!stat.isFile()) throw new OnnxFormatError(`external data location '${location}' is not a regular file`);
      }
      const count = (name: string, v: number) => {
        if (!Number.isSafeInteger(v) || v < 0) throw new OnnxFormatError(`external data ${name} ${v} for '${location}' is not a non-negative integer`);
        return v;
      };
      // Checked against the file before allocating: a length from the model alone could ask for any amount.
      const start = count('offset', offset);
      const size = length === undefined ? f.size - start : count('length', length);
      if (size < 0 || start + size > f.size) {
        throw new OnnxFormatError(`external data offset ${start} + length ${length ?? '(rest)'} lies beyond the end of '${location}' (${f.size} bytes)`);
      }
      if (size >= IN_FILE_BYTES) return { file: full, offset: start, length: size, size: f.size, mtimeMs: f.mtimeMs };
      const buf = Buffer.alloc(size);
      const read = fs.readSync(f.fd, buf, 0, size, start);
      if (read !== size) throw new OnnxFormatError(`external data file '${location}' is shorter than the model says`);
      return buf;
    }, spanOf);
  } catch (e) {
    if (e instanceof OnnxFormatError) throw new OnnxFormatError(`${path.basename(file)}: ${e.message}`);
    throw e;
  } finally {
    for (const { fd } of opened.values()) fs.closeSync(fd);
  }
}

/** Reading a model from disk, with external-data files resolved next to it. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeModel, OnnxFormatError } from './codec';
import type { Model } from '../ir/graph';

export function loadModelFile(file: string): Model {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new OnnxFormatError(`cannot read model file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const dir = path.dirname(file);
  const opened = new Map<string, number>();
  try {
    return decodeModel(bytes, (location, offset, length) => {
      const full = path.resolve(dir, location);
      if (!full.startsWith(path.resolve(dir) + path.sep)) {
        throw new OnnxFormatError(`external data location '${location}' points outside the model's folder`);
      }
      let fd = opened.get(full);
      if (fd === undefined) {
        try {
          fd = fs.openSync(full, 'r');
        } catch {
          throw new OnnxFormatError(`the model's external data file '${location}' is missing next to ${path.basename(file)}`);
        }
        opened.set(full, fd);
      }
      const size = length ?? fs.fstatSync(fd).size - offset;
      const buf = Buffer.alloc(size);
      const read = fs.readSync(fd, buf, 0, size, offset);
      if (read !== size) throw new OnnxFormatError(`external data file '${location}' is shorter than the model says`);
      return buf;
    });
  } catch (e) {
    if (e instanceof OnnxFormatError) throw new OnnxFormatError(`${path.basename(file)}: ${e.message}`);
    throw e;
  } finally {
    for (const fd of opened.values()) fs.closeSync(fd);
  }
}

/** SHA-256 of a file, memoised by (path, size, mtime): a model file is hashed once, not on every inversion. */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const memo = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

export function sha256File(file: string): string {
  const key = path.resolve(file);
  const st = fs.statSync(key);
  const hit = memo.get(key);
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.sha256;
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(key, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    let n: number;
    while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  const sha256 = h.digest('hex');
  memo.set(key, { size: st.size, mtimeMs: st.mtimeMs, sha256 });
  return sha256;
}

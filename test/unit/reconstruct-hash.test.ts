/** The model-file hash of the generative inverter is memoised by (path, size, mtime). */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sha256File } from '../../src/engine/reconstruct/file-hash';

const sha = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

test('sha256File: the file contents hash, reused while size and mtime stay, recomputed when either changes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-hash-'));
  try {
    const file = path.join(dir, 'model.onnx');
    fs.writeFileSync(file, 'first');
    const t = new Date('2024-01-02T03:04:05Z');
    fs.utimesSync(file, t, t);
    assert.equal(sha256File(file), sha('first'));
    // Same size, same mtime: the memo answers (it does not read the file again).
    fs.writeFileSync(file, 'other');
    fs.utimesSync(file, t, t);
    assert.equal(sha256File(file), sha('first'));
    // Same size, new mtime: read again.
    const t2 = new Date('2024-01-02T03:04:06Z');
    fs.utimesSync(file, t2, t2);
    assert.equal(sha256File(file), sha('other'));
    // New size, same mtime: read again.
    fs.writeFileSync(file, 'longer contents');
    fs.utimesSync(file, t2, t2);
    assert.equal(sha256File(file), sha('longer contents'));
    // A relative path names the same file.
    assert.equal(sha256File(path.relative(process.cwd(), file)), sha('longer contents'));
    assert.throws(() => sha256File(path.join(dir, 'missing.onnx')), /ENOENT/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

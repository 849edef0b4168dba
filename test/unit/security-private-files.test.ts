/**
 * What FeatureVis writes for itself (issue 11, item 5): caches in a per-user 0700 folder instead of a fixed folder
 * of the shared temp dir, and atomic writes whose temporary files have random names, exclusive create and 0600.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cacheRoot, privateDir, writeFileAtomic } from '../../src/engine/private-files';
import { writeAtomic } from '../../src/cli/io';
import { defaultCacheDir } from '../../src/engine/reconstruct/patch-replace';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-private-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const mode = (p: string) => fs.statSync(p).mode & 0o777;

test('an atomic write never follows a file planted at a predictable temporary name; caches end 0600, user outputs 0644', () => {
  const victim = path.join(tmp, 'victim.txt');
  fs.writeFileSync(victim, 'precious');
  for (const [i, [write, finalMode]] of ([[writeFileAtomic, 0o600], [writeAtomic, 0o644]] as const).entries()) {
    const out = path.join(tmp, `out-${i}.npy`);
    // The names the old code used: <file>.<pid>.tmp and .<name>.<pid>.tmp, linked to another file.
    fs.symlinkSync(victim, `${out}.${process.pid}.tmp`);
    fs.symlinkSync(victim, path.join(tmp, `.out-${i}.npy.${process.pid}.tmp`));
    write(out, Buffer.from('result'));
    assert.equal(fs.readFileSync(victim, 'utf8'), 'precious');
    assert.equal(fs.readFileSync(out, 'utf8'), 'result');
    assert.equal(mode(out), finalMode);
  }
  assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp') && !fs.lstatSync(path.join(tmp, f)).isSymbolicLink()), [], 'no temporary file left');
});

test('a private folder is created 0700, an existing one of ours is tightened, a link in its place is refused', () => {
  const fresh = privateDir(path.join(tmp, 'a', 'b'));
  assert.equal(mode(fresh), 0o700);
  const loose = path.join(tmp, 'loose');
  fs.mkdirSync(loose, { mode: 0o777 });
  fs.chmodSync(loose, 0o777);
  privateDir(loose);
  assert.equal(mode(loose), 0o700);
  const link = path.join(tmp, 'link');
  fs.symlinkSync(os.tmpdir(), link);
  assert.throws(() => privateDir(link), /not a folder of its own/);
});

test('the cache lives in the per-user cache folder: FEATUREVIS_CACHE_DIR, else XDG_CACHE_HOME, else ~/.cache; never the shared temp dir', () => {
  assert.equal(cacheRoot({ FEATUREVIS_CACHE_DIR: '/x/y' }), '/x/y');
  assert.equal(cacheRoot({ XDG_CACHE_HOME: '/home/u/.c' }), '/home/u/.c/featurevis');
  assert.equal(cacheRoot({ XDG_CACHE_HOME: 'relative' }), path.join(os.homedir(), '.cache', 'featurevis'));
  const before = process.env.FEATUREVIS_CACHE_DIR;
  process.env.FEATUREVIS_CACHE_DIR = path.join(tmp, 'cache');
  try {
    const dir = defaultCacheDir();
    assert.equal(dir, path.join(tmp, 'cache', 'patches'));
    assert.equal(mode(dir), 0o700);
    assert.equal(mode(path.dirname(dir)), 0o700);
    assert.ok(!dir.startsWith(path.join(os.tmpdir(), 'featurevis-cache')));
  } finally {
    if (before === undefined) delete process.env.FEATUREVIS_CACHE_DIR;
    else process.env.FEATUREVIS_CACHE_DIR = before;
  }
});

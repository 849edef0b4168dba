/**
 * Files FeatureVis writes for itself: caches in a per-user folder (0700) rather than a fixed folder of the shared
 * temp dir, and atomic writes through temporary files with random names created exclusively (0600), so another
 * local user can neither pre-create nor symlink them.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { invalidInput } from './errors';

/**
 * The cache root: FEATUREVIS_CACHE_DIR (the extension sets its global storage), else $XDG_CACHE_HOME/featurevis,
 * else ~/.cache/featurevis.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FEATUREVIS_CACHE_DIR) return path.resolve(env.FEATUREVIS_CACHE_DIR);
  const xdg = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(xdg, 'featurevis');
}

/**
 * Creates `dir` (and missing parents) as a private folder: 0700, a real directory (not a link), owned by this
 * user. An existing folder of ours with wider permissions is tightened; one that is a link or another user's is
 * refused.
 */
export function privateDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(dir);
  if (st.isSymbolicLink() || !st.isDirectory()) throw invalidInput(`${dir} is not a folder of its own (a link or a file); remove it or choose another cache folder`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw invalidInput(`${dir} belongs to another user; choose another cache folder`);
  if ((st.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
  return dir;
}

/**
 * Writes `bytes` to `file` through a fresh 0600 temporary file in the same folder, then renames it into place.
 * `mode` is the finished file's (0600 for caches; a user's export is readable as any file they write).
 */
export function writeFileAtomic(file: string, bytes: Uint8Array | readonly Uint8Array[], mode = 0o600): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${crypto.randomBytes(8).toString('hex')}.tmp`);
  // 'wx': fails if anything (a planted file or link) already has the name.
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    for (const chunk of Array.isArray(bytes) ? bytes : [bytes]) fs.writeSync(fd, chunk as Uint8Array);
    if (mode !== 0o600) fs.fchmodSync(fd, mode);
    fs.closeSync(fd);
    fs.renameSync(tmp, file);
  } catch (e) {
    try { fs.closeSync(fd); } catch { /* already closed */ }
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

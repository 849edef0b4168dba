/**
 * A small glob for `--merge 'results-*.jsonl'` (Node 20 has no fs.globSync): `*` and `?` in the last path segment
 * only, so the pattern works without a shell (Kubernetes args, Windows). Matches are regular files, sorted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { invalidParams } from '../engine/errors';

/** The last segment's pattern as a regular expression: `*` any run of characters, `?` one; the rest literal. */
export function globRegExp(segment: string): RegExp {
  let re = '';
  for (const ch of segment) re += ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${re}$`, 's');
}

export function hasWildcards(pattern: string): boolean {
  return /[*?]/.test(pattern);
}

/** The files a pattern names: itself when it has no wildcard, else the matching files of its folder, sorted. */
export function expandGlob(pattern: string): string[] {
  const dir = path.dirname(pattern);
  const base = path.basename(pattern);
  if (hasWildcards(dir)) throw invalidParams(`'${pattern}': wildcards (* and ?) are supported in the file name only, not in folders`);
  if (!hasWildcards(base)) return fs.existsSync(pattern) ? [pattern] : [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    throw invalidParams(`cannot read the folder of '${pattern}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const re = globRegExp(base);
  // Like a shell, a leading * or ? does not match dot files.
  return names.filter((n) => re.test(n) && (!n.startsWith('.') || base.startsWith('.')))
    .map((n) => path.join(dir, n))
    .filter((f) => fs.statSync(f).isFile())
    .sort();
}

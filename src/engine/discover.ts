/**
 * Registries without hand-kept lists: every module in a folder whose file name matches is loaded, so adding a rule
 * or a method is adding its file. Under tsx (tests, `npm run demo`) the folder is read at run time; in bundles
 * scripts/esbuild-discover.mjs rewrites each `modulesIn(__dirname, /…/)` call into the static requires of the
 * files that match when the bundle is built (the same regular expression, the same sorted order).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function modulesIn(dir: string, fileName: RegExp): Record<string, unknown>[] {
  return fs.readdirSync(dir).filter((f) => fileName.test(f)).sort()
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- discovery loads modules by file name
    .map((f) => require(path.join(dir, f)) as Record<string, unknown>);
}

/** The exports named `key` of the modules (a module without one is a helper and is skipped). */
export function exportsNamed<T>(modules: Record<string, unknown>[], key: string): T[] {
  return modules.flatMap((m) => (key in m ? [m[key] as T] : []));
}

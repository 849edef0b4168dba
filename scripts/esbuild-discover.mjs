// esbuild plugin for src/engine/discover.ts: a bundle has no source folder to read at run time, so each
// `modulesIn(__dirname, /RE/)` call is replaced by the requires of the files in that folder matching RE, sorted as
// discover.ts sorts them. Used by every bundle of engine code (CLI, engine process).
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const CALL = /modulesIn\(__dirname,\s*\/((?:\\\/|[^/])+)\/([a-z]*)\)/g;

/** The source with every modulesIn(__dirname, /RE/) call expanded (exported for the unit test). */
export function expandDiscovery(source, dir) {
  return source.replace(CALL, (_, body, flags) => {
    const re = new RegExp(body, flags);
    const files = readdirSync(dir).filter((f) => re.test(f)).sort();
    return `[${files.map((f) => `require(${JSON.stringify('./' + f.replace(/\.ts$/, ''))})`).join(', ')}]`;
  });
}

export const discoverPlugin = {
  name: 'featurevis-discover',
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/]engine[\\/].*\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('modulesIn(__dirname')) return undefined;
      return { contents: expandDiscovery(source, path.dirname(args.path)), loader: 'ts' };
    });
  },
};

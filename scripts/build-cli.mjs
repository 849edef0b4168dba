// Bundles the CLI (dist/cli.js, or the path given; onnxruntime-node stays external, it ships native binaries).
// The package's version is put in at build time, so `featurevis --version` needs no package.json beside the bundle.
import * as fs from 'node:fs';
import * as esbuild from 'esbuild';
import { discoverPlugin } from './esbuild-discover.mjs';

const { version } = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await esbuild.build({
  entryPoints: ['src/cli/main.ts'], bundle: true, platform: 'node', target: 'node20', format: 'cjs',
  external: ['onnxruntime-node'], outfile: process.argv[2] ?? 'dist/cli.js', plugins: [discoverPlugin], logLevel: process.argv[2] ? 'error' : 'info',
  define: { FEATUREVIS_VERSION: JSON.stringify(version) },
});

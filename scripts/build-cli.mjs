// Bundles the CLI (dist/cli.js, or the path given; onnxruntime-node stays external, it ships native binaries).
import * as esbuild from 'esbuild';
import { discoverPlugin } from './esbuild-discover.mjs';

await esbuild.build({
  entryPoints: ['src/cli/main.ts'], bundle: true, platform: 'node', target: 'node20', format: 'cjs',
  external: ['onnxruntime-node'], outfile: process.argv[2] ?? 'dist/cli.js', plugins: [discoverPlugin], logLevel: process.argv[2] ? 'error' : 'info',
});

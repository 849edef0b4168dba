// Bundles the extension: host (dist/extension.js, vscode external), engine process (dist/engine-process.js,
// onnxruntime-node external) and webview (dist/webview/main.js + main.css from webview-ui/index.ts). `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { discoverPlugin } from './esbuild-discover.mjs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const common = { bundle: true, sourcemap: production ? false : 'linked', minify: production, logLevel: 'info' };
const builds = [
  { ...common, entryPoints: ['src/host/extension.ts'], outfile: 'dist/extension.js', platform: 'node', target: 'node20', format: 'cjs', external: ['vscode', 'onnxruntime-node'] },
  { ...common, entryPoints: ['src/engine-process/main.ts'], outfile: 'dist/engine-process.js', platform: 'node', target: 'node20', format: 'cjs', external: ['onnxruntime-node'], plugins: [discoverPlugin] },
  // index.ts acquires the VS Code API and starts main.ts; the bundle keeps the name main.js/main.css.
  { ...common, entryPoints: { main: 'webview-ui/index.ts' }, outdir: 'dist/webview', platform: 'browser', target: 'chrome114', format: 'iife' },
];
rmSync('dist/webview', { recursive: true, force: true });
// The Python parser's WebAssembly (the layer ↔ source map): read next to dist/engine-process.js at run time.
mkdirSync('dist/tree-sitter', { recursive: true });
for (const f of ['tree-sitter.wasm', 'tree-sitter-python.wasm']) copyFileSync(`node_modules/@vscode/tree-sitter-wasm/wasm/${f}`, `dist/tree-sitter/${f}`);
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  const t0 = Date.now();
  await Promise.all(builds.map((b) => esbuild.build(b)));
  console.log(`built extension, engine process and webview in ${Date.now() - t0} ms`);
}

// The extension-host suite (`npm run test:host`): @vscode/test-electron's runTests with vscodeExecutablePath set to
// shim.sh, which runs Mocha inside code-server's real Node extension host (offline; code-server and Chromium come
// from `npm run test:e2e:setup`). Two runs: the main suite in a trusted workspace, then the Restricted Mode suite in
// an untrusted one. Builds the extension (dist/) first unless SKIP_BUILD=1.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const repo = path.resolve(here, '../..');
const E2E_HOME = process.env.E2E_HOME || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'featurevis-e2e');
const envFile = path.join(E2E_HOME, 'env.sh');
if (!fs.existsSync(envFile)) { console.error(`e2e tools missing in ${E2E_HOME}: run 'npm run test:e2e:setup' first`); process.exit(1); }
for (const m of fs.readFileSync(envFile, 'utf8').matchAll(/^export (\w+)='(.*)'$/gm)) process.env[m[1]] ??= m[2];
const { runTests } = createRequire(import.meta.url)('@vscode/test-electron');
if (process.env.SKIP_BUILD !== '1') execFileSync(process.execPath, [path.join(repo, 'scripts/build-extension.mjs')], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });

/**
 * A workspace: the bundled photo, the convnet fixture as models/convnet.onnx, the example's model code and its
 * dynamo export with sidecar in pytorch-cnn/ (layer ↔ source links; not its .vscode settings), and `files`.
 */
function workspace(files = {}) {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-host-ws-'));
  fs.mkdirSync(path.join(ws, 'models'));
  fs.mkdirSync(path.join(ws, 'pytorch-cnn'));
  fs.copyFileSync(path.join(repo, 'assets/samples/chelsea.png'), path.join(ws, 'chelsea.png'));
  fs.copyFileSync(path.join(repo, 'test/fixtures/convnet/model.onnx'), path.join(ws, 'models/convnet.onnx'));
  for (const f of ['model.py', 'model.dynamo.onnx', 'model.dynamo.featurevis.json']) fs.copyFileSync(path.join(repo, 'examples/pytorch-cnn', f), path.join(ws, 'pytorch-cnn', f));
  for (const [f, text] of Object.entries(files)) { fs.mkdirSync(path.dirname(path.join(ws, f)), { recursive: true }); fs.writeFileSync(path.join(ws, f), text); }
  return ws;
}

const runs = [
  { name: 'extension host', suite: 'host', env: {}, ws: workspace() },
  { name: 'Restricted Mode', suite: 'restricted', env: { FV_HOST_RESTRICTED: '1' }, ws: workspace({
    '.vscode/settings.json': JSON.stringify({ 'featurevis.exportOnSave': '**/*.txt', 'featurevis.exportCommand': 'touch pwned-by-workspace' }),
    'notes.txt': 'hello\n',
  }) },
];
let failed = 0;
// FV_HOST_ONLY=host|restricted runs one of the two (debugging).
for (const r of runs.filter((x) => !process.env.FV_HOST_ONLY || x.suite === process.env.FV_HOST_ONLY)) {
  const t0 = Date.now();
  Object.assign(process.env, { FV_HOST_SUITE: r.suite, FV_HOST_RESTRICTED: '' }, r.env);
  try {
    await runTests({
      vscodeExecutablePath: path.join(here, 'shim.sh'),
      extensionDevelopmentPath: repo,
      extensionTestsPath: path.join(here, 'suite/index.cjs'),
      launchArgs: [r.ws],
    });
    console.log(`[host] ${r.name}: passed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } catch (e) {
    failed++;
    console.error(`[host] ${r.name}: FAILED (${e.message ?? e})`);
  } finally {
    fs.rmSync(r.ws, { recursive: true, force: true });
  }
}
process.exit(failed ? 1 : 0);

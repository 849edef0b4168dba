/**
 * `npx featurevis …` from a clean install of the package: the CLI bundle (scripts/build-cli.mjs, as `npm run
 * build:cli`) with package.json and the embedded model, packed with `npm pack`, installed into an empty project
 * (cached packages first, ONNXRUNTIME_NODE_INSTALL=skip) and run through npx: --version, --help and a prediction
 * with the embedded model, all outside the checkout.
 *
 * The checkout itself is packed: .npmignore names what ships (a package.json "files" field is not an option: vsce
 * 3.9 refuses one next to .vscodeignore), and the test checks the tarball holds that and no sources.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';

const ROOT = path.join(__dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'featurevis-pack-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('npm pack → npm install → npx featurevis --version / --help / predict, outside the checkout', { timeout: 240_000 }, () => {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-cli.mjs')], { cwd: ROOT });
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string> };
  assert.equal(manifest.bin.featurevis, 'dist/cli.js');
  assert.match(fs.readFileSync(path.join(ROOT, 'dist', 'cli.js'), 'utf8').slice(0, 40), /^#!\/usr\/bin\/env node\n/);

  const npm = (args: string[], cwd: string) => {
    const r = spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_update_notifier: 'false' } });
    assert.equal(r.status, 0, `npm ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', tmp], ROOT)) as { filename: string; files: { path: string }[] }[];
  const tarball = path.join(tmp, packed[0].filename);
  assert.ok(fs.existsSync(tarball));
  const files = packed[0].files.map((f) => f.path);
  for (const needed of ['package.json', 'dist/cli.js', 'assets/models/efficientnet-lite0.onnx', 'assets/samples/chelsea.png', 'README.md', 'LICENSE']) assert.ok(files.includes(needed), `the package lacks ${needed}`);
  assert.deepEqual(files.filter((f) => /^(src|test|node_modules|webview-ui)\//.test(f) || f.endsWith('.ts')), [], 'no sources or dependencies in the package');

  const project = path.join(tmp, 'project');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'featurevis-install-check', version: '1.0.0', private: true }));
  npm(['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], project);

  const npx = (...args: string[]) => spawnSync('npx', ['--no-install', 'featurevis', ...args], { cwd: project, encoding: 'utf8' });
  const v = npx('--version');
  assert.equal(v.status, 0, v.stderr);
  assert.equal(v.stdout.trim(), manifest.version);
  const h = npx('--help');
  assert.equal(h.status, 0, h.stderr);
  assert.match(h.stdout, /^Usage: featurevis \[options\] \[command\]/);
  assert.match(h.stdout, /^  explain\b/m);
  // The installed bundle finds its embedded model and onnxruntime-node in the project, not in the checkout.
  const p = npx('predict', '--input', path.join(project, 'node_modules', 'featurevis', 'assets', 'samples', 'chelsea.png'), '--top', '1', '--json');
  assert.equal(p.status, 0, p.stderr);
  const [[top]] = JSON.parse(p.stdout) as { index: number; label: string; probability: number }[][];
  assert.ok(top.probability > 0 && top.probability <= 1);
  assert.equal(typeof top.label, 'string');
});

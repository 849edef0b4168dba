/**
 * `npx featurevis …` from a clean install of the package: the CLI bundle (scripts/build-cli.mjs, as `npm run
 * build:cli`) with package.json and the embedded model, packed with `npm pack`, installed into an empty project
 * (cached packages first, ONNXRUNTIME_NODE_INSTALL=skip) and run through npx: --version, --help and a prediction
 * with the embedded model, all outside the checkout.
 *
 * The package folder is staged here because the checkout's own `npm pack` would follow .gitignore (which leaves
 * out dist/); a package.json "files" field is not an option: vsce 3.9 refuses one next to .vscodeignore.
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

/** What the CLI package carries: the bundle, package.json (bin, version, dependencies) and the bundled model and photos. */
const SHIPPED = ['assets/models', 'assets/samples', 'README.md', 'LICENSE'];

test('npm pack → npm install → npx featurevis --version / --help / predict, outside the checkout', { timeout: 240_000 }, () => {
  const pkg = path.join(tmp, 'package');
  fs.mkdirSync(path.join(pkg, 'dist'), { recursive: true });
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-cli.mjs'), path.join(pkg, 'dist', 'cli.js')], { cwd: ROOT });
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(pkg, 'package.json'));
  for (const f of SHIPPED) if (fs.existsSync(path.join(ROOT, f))) fs.cpSync(path.join(ROOT, f), path.join(pkg, f), { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string> };
  assert.equal(manifest.bin.featurevis, 'dist/cli.js');
  assert.match(fs.readFileSync(path.join(pkg, 'dist', 'cli.js'), 'utf8').slice(0, 40), /^#!\/usr\/bin\/env node\n/);

  const npm = (args: string[], cwd: string) => {
    const r = spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_update_notifier: 'false' } });
    assert.equal(r.status, 0, `npm ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  npm(['pack', '--silent', '--pack-destination', tmp], pkg);
  const tarball = path.join(tmp, `${manifest.name}-${manifest.version}.tgz`);
  assert.ok(fs.existsSync(tarball));

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

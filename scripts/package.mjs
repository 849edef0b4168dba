// Packages the extension. `npm run package` (no target): the production bundle and featurevis.vsix with the
// linux-x64 onnxruntime binaries (.vscodeignore as it is; the e2e suite installs this one).
// `npm run package -- --target linux-arm64[,win32-x64…]` (or --target repeated): one platform-specific
// featurevis-<target>.vsix per target (`vsce package --target`), each carrying only that platform's onnxruntime-node
// binaries. The bundle is built once for all targets. Options: --out-dir DIR (default: the repository root),
// --no-build (package the dist/ already there).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const TARGETS = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'win32-arm64'];
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const ORT_BIN = 'node_modules/onnxruntime-node/bin';
/** The .vscodeignore line that lets the linux-x64 binaries in; each target replaces it with its own folder. */
const LINUX_X64 = /^!node_modules\/onnxruntime-node\/bin\/napi-v\d+\/linux\/x64\/.*$/;

function parse(argv) {
  const o = { targets: [], outDir: root, build: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => { const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i]; if (!v) throw new Error(`${a} needs a value`); return v; };
    if (a === '--target' || a.startsWith('--target=') || a === '-t') o.targets.push(...value().split(',').filter(Boolean));
    else if (a === '--out-dir' || a.startsWith('--out-dir=')) o.outDir = path.resolve(value());
    else if (a === '--no-build') o.build = false;
    else throw new Error(`unknown option ${a} (use --target ${TARGETS.join('|')}, --out-dir DIR, --no-build)`);
  }
  for (const t of o.targets) if (!TARGETS.includes(t)) throw new Error(`unknown target '${t}': one of ${TARGETS.join(', ')}`);
  return o;
}

/** The onnxruntime-node binary folders for a target, relative to the repository (napi-v6/linux/x64, …). */
function binaryDirs(target) {
  const [platform, arch] = target.split('-');
  const base = path.join(root, ORT_BIN);
  const dirs = fs.existsSync(base) ? fs.readdirSync(base).filter((d) => /^napi-v\d+$/.test(d)) : [];
  return dirs.map((d) => `${ORT_BIN}/${d}/${platform}/${arch}`).filter((d) => {
    const abs = path.join(root, d);
    return fs.existsSync(abs) && fs.readdirSync(abs).length > 0;
  });
}

function vsce(args) {
  const bin = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'vsce.cmd' : 'vsce');
  execFileSync(bin, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
}

function main() {
  const o = parse(process.argv.slice(2));
  // Refuse a target whose binaries the installed onnxruntime-node lacks before spending time on the bundle
  // (onnxruntime-node 1.30 ships no darwin/x64 build).
  const dirs = new Map(o.targets.map((t) => [t, binaryDirs(t)]));
  for (const [t, d] of dirs) {
    if (!d.length) throw new Error(`the installed onnxruntime-node has no binaries for ${t} (no ${ORT_BIN}/napi-v*/${t.replace('-', '/')}/); cannot package it`);
  }
  if (o.build) execFileSync(process.execPath, [path.join(root, 'scripts/build-extension.mjs'), '--production'], { cwd: root, stdio: 'inherit' });
  fs.mkdirSync(o.outDir, { recursive: true });
  if (!o.targets.length) {
    vsce(['package', '-o', path.join(o.outDir, 'featurevis.vsix')]);
    return;
  }
  const ignore = fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8').split('\n');
  if (!ignore.some((l) => LINUX_X64.test(l))) throw new Error('.vscodeignore no longer names the linux-x64 onnxruntime binaries; update scripts/package.mjs');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-package-'));
  try {
    for (const t of o.targets) {
      let done = false;
      const lines = ignore.flatMap((l) => {
        if (!LINUX_X64.test(l)) return [l];
        if (done) return [];
        done = true;
        return dirs.get(t).map((d) => `!${d}/**`);
      });
      const file = path.join(tmp, `${t}.vscodeignore`);
      fs.writeFileSync(file, lines.join('\n'));
      vsce(['package', '--target', t, '--ignoreFile', file, '-o', path.join(o.outDir, `featurevis-${t}.vsix`)]);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  console.error(`package: ${e.message}`);
  process.exit(1);
}

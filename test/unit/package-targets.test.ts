/**
 * Per-platform packages (scripts/package.mjs): the production bundle is built once, then one .vsix per target; each
 * archive (read from its zip central directory) carries exactly that platform's onnxruntime-node binaries, the
 * bundles and the embedded model, and its manifest names the target. A target the installed onnxruntime-node has no
 * binaries for is refused before anything is built. Packaging holds the e2e lock (it rewrites dist/).
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inflateRawSync } from 'node:zlib';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = 'node_modules/onnxruntime-node/bin';
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-package-targets-'));
after(() => fs.rmSync(out, { recursive: true, force: true }));

interface Entry { name: string; method: number; compressedSize: number; localOffset: number }

/** The zip's central directory (no zip64: the packages are far below 4 GB and 65 535 entries). */
function zipEntries(buf: Buffer): Entry[] {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  assert.ok(eocd >= 0, 'end of central directory found');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(buf.readUInt32LE(p), 0x02014b50, 'central directory header');
    const nameLen = buf.readUInt16LE(p + 28), extraLen = buf.readUInt16LE(p + 30), commentLen = buf.readUInt16LE(p + 32);
    entries.push({ name: buf.toString('utf8', p + 46, p + 46 + nameLen), method: buf.readUInt16LE(p + 10), compressedSize: buf.readUInt32LE(p + 20), localOffset: buf.readUInt32LE(p + 42) });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

function readEntry(buf: Buffer, e: Entry): string {
  const start = e.localOffset + 30 + buf.readUInt16LE(e.localOffset + 26) + buf.readUInt16LE(e.localOffset + 28);
  const data = buf.subarray(start, start + e.compressedSize);
  return (e.method === 8 ? inflateRawSync(data) : data).toString('utf8');
}

/** Files under the target's onnxruntime-node folders, as they lie in node_modules (what the package must carry). */
function binaries(platform: string, arch: string): string[] {
  const files: string[] = [];
  for (const napi of fs.readdirSync(path.join(ROOT, BIN))) {
    const dir = path.join(ROOT, BIN, napi, platform, arch);
    if (fs.existsSync(dir)) for (const f of fs.readdirSync(dir)) files.push(`${BIN}/${napi}/${platform}/${arch}/${f}`);
  }
  return files.sort();
}

const pkg = (...args: string[]) => {
  const cmd = fs.existsSync('/usr/bin/flock') ? ['/usr/bin/flock', '/tmp/featurevis-e2e.lock', process.execPath] : [process.execPath];
  return spawnSync(cmd[0], [...cmd.slice(1), path.join(ROOT, 'scripts/package.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
};

test('a target without onnxruntime binaries or an unknown target is refused before building', () => {
  for (const [target, why] of [['darwin-x64', /no binaries for darwin-x64/], ['solaris-x64', /unknown target 'solaris-x64'/]] as const) {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/package.mjs'), '--target', target, '--out-dir', out], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, why);
    assert.doesNotMatch(r.stdout, /built extension/, 'nothing was built');
  }
  assert.deepEqual(fs.readdirSync(out), []);
});

test('--target linux-arm64,darwin-arm64: one .vsix each, carrying only that platform\'s onnxruntime binaries', () => {
  const targets = [['linux', 'arm64'], ['darwin', 'arm64']] as const;
  for (const [p, a] of targets) assert.ok(binaries(p, a).length >= 2, `node_modules has ${p}/${a} binaries to ship`);
  const r = pkg('--target', targets.map(([p, a]) => `${p}-${a}`).join(','), '--out-dir', out);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.equal(r.stdout.match(/built extension/g)?.length, 1, 'the bundle is built once for both targets');
  for (const [p, a] of targets) {
    const file = path.join(out, `featurevis-${p}-${a}.vsix`);
    const buf = fs.readFileSync(file);
    const entries = zipEntries(buf);
    const names = entries.map((e) => e.name.replace(/^extension\//, ''));
    const shipped = names.filter((n) => n.startsWith(`${BIN}/`)).sort();
    assert.deepEqual(shipped, binaries(p, a), `${p}-${a}: exactly its own binaries`);
    for (const f of ['package.json', 'dist/extension.js', 'dist/engine-process.js', 'dist/webview/main.js', 'assets/models/efficientnet-lite0.onnx', 'node_modules/onnxruntime-node/dist/index.js']) {
      assert.ok(names.includes(f), `${p}-${a} carries ${f}`);
    }
    assert.ok(!names.some((n) => /^(src|test|webview-ui)\//.test(n)), 'no sources or tests');
    const manifest = entries.find((e) => e.name === 'extension.vsixmanifest');
    assert.ok(manifest, 'has a manifest');
    assert.match(readEntry(buf, manifest), new RegExp(`TargetPlatform="${p}-${a}"`));
  }
});

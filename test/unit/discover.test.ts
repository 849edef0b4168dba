/**
 * Registries are found by file name (src/engine/discover.ts): at run time from the folder, in bundles from the
 * esbuild plugin's static requires. Both must list the same modules, and a bundle must carry every method and metric.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { methods } from '../../src/engine/methods';
import { metrics } from '../../src/engine/metrics';
import { LINEAR_RULES } from '../../src/engine/backward/linear-rules';

const ROOT = path.join(__dirname, '..', '..');
const REGISTRIES = ['src/engine/backward/rules/index.ts', 'src/engine/backward/linear-rules/index.ts', 'src/engine/methods/index.ts', 'src/engine/metrics/index.ts'];

test('the bundle plugin expands each registry into the files the run-time discovery loads', async () => {
  const { expandDiscovery } = await import('../../scripts/esbuild-discover.mjs');
  for (const file of REGISTRIES) {
    const source = fs.readFileSync(path.join(ROOT, file), 'utf8');
    const re = new RegExp(/modulesIn\(__dirname,\s*\/((?:\\\/|[^/])+)\/([a-z]*)\)/.exec(source)![1]);
    const dir = path.dirname(path.join(ROOT, file));
    const expected = fs.readdirSync(dir).filter((f) => re.test(f)).sort().map((f) => `require(${JSON.stringify('./' + f.replace(/\.ts$/, ''))})`);
    const expanded: string = expandDiscovery(source, dir);
    assert.ok(!expanded.includes('modulesIn(__dirname'), `${file}: the call was not expanded`);
    assert.ok(expected.length > 3, `${file}: found only ${expected.length} modules`);
    assert.ok(expanded.includes(`[${expected.join(', ')}]`), `${file}: the expansion differs from the folder`);
  }
});

test('a CLI bundle built with the plugin lists every method and metric the source registries have', () => {
  // Inside the checkout, so the bundle resolves onnxruntime-node from node_modules as dist/cli.js does.
  const out = path.join(ROOT, '.cache', `discover-test-${process.pid}`, 'cli.js');
  execFileSync(process.execPath, ['scripts/build-cli.mjs', out], { cwd: ROOT });
  const listed = execFileSync(process.execPath, [out, 'methods'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n').filter((l) => /^[a-z]/.test(l)).map((l) => l.split(/\s+/)[0]);
  // The metrics the bundle knows, from the list its evaluate command prints when --metrics is missing.
  const run = spawnSync(process.execPath, [out, 'evaluate', '--images', 'assets/samples', '--methods', 'gradient'], { cwd: ROOT, encoding: 'utf8' });
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
  assert.deepEqual(listed.sort(), methods.all().map((m) => m.id).sort());
  const bundled = /from: ([a-z, -]+)\)/.exec(run.stderr)?.[1].split(', ') ?? [];
  assert.deepEqual(bundled.sort(), metrics.all().map((m) => m.id).sort(), run.stderr);
  assert.equal(LINEAR_RULES[0], 'gradient');
});

/** The fuzzing runner catches each way a case can go wrong: a plain exception, a native abort and a hang. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

test('the fuzz runner pins a thrown exception, a native abort and a hang to their seeds and fails', () => {
  const root = path.join(__dirname, '..', '..');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/fuzz/run.ts'], {
    cwd: root, encoding: 'utf8', timeout: 120_000,
    env: { ...process.env, FUZZ_KINDS: 'canary', FUZZ_CASES: '8', FUZZ_SEED: '0', FUZZ_CASE_MS: '3000' },
  });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /canary\s+8 cases .*: 2 ok, .*failures 6/);
  for (const seed of [1, 5]) assert.match(r.stdout, new RegExp(`FAIL seed ${seed}: TypeError: a plain exception`));
  for (const seed of [2, 6]) assert.match(r.stdout, new RegExp(`FAIL seed ${seed}: the process died \\(SIGABRT`));
  for (const seed of [3, 7]) assert.match(r.stdout, new RegExp(`FAIL seed ${seed}: no answer within 3 s`));
});

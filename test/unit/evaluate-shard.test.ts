/** `featurevis evaluate` sharding: the shard from --shard, a Kubernetes Indexed Job or a Slurm array; round-robin items. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { resolveShard, shardItems } from '../../src/cli/evaluate-shard';

const pick = (s: { index: number; count: number }) => [s.index, s.count];

test('--shard i/n is 0-based and validated; it wins over the environment', () => {
  assert.deepEqual(pick(resolveShard('2/5', undefined, {})), [2, 5]);
  assert.deepEqual(pick(resolveShard(' 0 / 1 ', undefined, {})), [0, 1]);
  assert.deepEqual(pick(resolveShard('1/3', undefined, { JOB_COMPLETION_INDEX: '2', FEATUREVIS_SHARDS: '3' })), [1, 3]);
  for (const bad of ['3/3', '-1/3', '1/0', '1', 'a/b', '1/2/3', '1.5/3']) assert.throws(() => resolveShard(bad, undefined, {}), /shard/, bad);
  assert.throws(() => resolveShard('1/3', '4', {}), /disagrees/);
});

test('Kubernetes Indexed Job: JOB_COMPLETION_INDEX with --shards or FEATUREVIS_SHARDS', () => {
  assert.deepEqual(pick(resolveShard(undefined, '4', { JOB_COMPLETION_INDEX: '3' })), [3, 4]);
  assert.deepEqual(pick(resolveShard(undefined, undefined, { JOB_COMPLETION_INDEX: '0', FEATUREVIS_SHARDS: '2' })), [0, 2]);
  assert.equal(resolveShard(undefined, '4', { JOB_COMPLETION_INDEX: '3' }).source, 'JOB_COMPLETION_INDEX');
  assert.throws(() => resolveShard(undefined, undefined, { JOB_COMPLETION_INDEX: '1' }), /--shards N or set FEATUREVIS_SHARDS/);
  assert.throws(() => resolveShard(undefined, '4', { JOB_COMPLETION_INDEX: '4' }), /\[0, 3\]/);
  // It takes precedence over a Slurm variable in the same environment.
  assert.deepEqual(pick(resolveShard(undefined, '4', { JOB_COMPLETION_INDEX: '1', SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '4' })), [1, 4]);
});

test('Slurm array: SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN of SLURM_ARRAY_TASK_COUNT; sparse arrays refused', () => {
  assert.deepEqual(pick(resolveShard(undefined, undefined, { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '3' })), [2, 3]);
  // --array=1-3: ids 1, 2, 3 are shards 0, 1, 2.
  assert.deepEqual(pick(resolveShard(undefined, undefined, { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '3', SLURM_ARRAY_TASK_COUNT: '3' })), [2, 3]);
  assert.throws(() => resolveShard(undefined, undefined, { SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '8', SLURM_ARRAY_TASK_COUNT: '5' }), /not contiguous/);
  assert.throws(() => resolveShard(undefined, undefined, { SLURM_ARRAY_TASK_ID: '1' }), /SLURM_ARRAY_TASK_COUNT/);
  assert.deepEqual(pick(resolveShard(undefined, '2', { SLURM_ARRAY_TASK_ID: '1' })), [1, 2]);
});

test('no shard named: the whole dataset; --shards alone is an error', () => {
  assert.deepEqual(pick(resolveShard(undefined, undefined, {})), [0, 1]);
  assert.deepEqual(pick(resolveShard(undefined, undefined, { JOB_COMPLETION_INDEX: '', SLURM_ARRAY_TASK_ID: '' })), [0, 1]);
  assert.throws(() => resolveShard(undefined, '3', {}), /needs the shard index/);
});

test('shardItems deals the sorted list round-robin: the shards partition it', () => {
  const items = Array.from({ length: 10 }, (_, i) => `img-${i}`);
  assert.deepEqual(shardItems(items, { index: 1, count: 3 }), ['img-1', 'img-4', 'img-7']);
  const all = [0, 1, 2].flatMap((index) => shardItems(items, { index, count: 3 }));
  assert.deepEqual(all.sort(), [...items].sort());
  assert.deepEqual(shardItems(items, { index: 0, count: 1 }), items);
  assert.deepEqual(shardItems(['a'], { index: 2, count: 3 }), []);
});

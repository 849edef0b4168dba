/**
 * Which part of the dataset this process evaluates: `--shard i/n` (0-based), else the scheduler's own index —
 * a Kubernetes Indexed Job's JOB_COMPLETION_INDEX (with `--shards n` or FEATUREVIS_SHARDS, which Kubernetes does not
 * set) or a Slurm array's SLURM_ARRAY_TASK_ID (with SLURM_ARRAY_TASK_COUNT; SLURM_ARRAY_TASK_MIN is the first id).
 * Images are dealt round-robin by their sorted index, so every shard gets a similar mix.
 */
import { invalidParams } from '../engine/errors';

export interface Shard {
  index: number;
  count: number;
  /** Where it came from, for the progress line. */
  source: string;
}

const whole = (v: string) => (/^\d+$/.test(v.trim()) ? Number(v.trim()) : NaN);

function shardOf(index: number, count: number, source: string, what: string): Shard {
  if (!Number.isSafeInteger(count) || count < 1) throw invalidParams(`${what}: the number of shards must be a whole number ≥ 1`);
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) throw invalidParams(`${what}: the shard index must be a whole number in [0, ${count - 1}]`);
  return { index, count, source };
}

/**
 * The shard from the flags and the environment; the whole dataset (0/1) when nothing names one.
 * `shardFlag` is `--shard i/n`, `shardsFlag` is `--shards n`.
 */
export function resolveShard(shardFlag: string | undefined, shardsFlag: string | undefined, env: NodeJS.ProcessEnv = process.env): Shard {
  if (shardFlag !== undefined) {
    const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(shardFlag);
    if (!m) throw invalidParams(`--shard must be i/n (0-based index i of n shards, e.g. 0/4), got '${shardFlag}'`);
    if (shardsFlag !== undefined && whole(shardsFlag) !== Number(m[2])) throw invalidParams(`--shards ${shardsFlag} disagrees with --shard ${shardFlag}`);
    return shardOf(Number(m[1]), Number(m[2]), '--shard', `--shard ${shardFlag}`);
  }
  const k8s = env.JOB_COMPLETION_INDEX;
  if (k8s !== undefined && k8s !== '') {
    const n = shardsFlag ?? env.FEATUREVIS_SHARDS;
    if (n === undefined) throw invalidParams('JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job): pass --shards N or set FEATUREVIS_SHARDS to the Job\'s completions');
    return shardOf(whole(k8s), whole(n), 'JOB_COMPLETION_INDEX', `JOB_COMPLETION_INDEX=${k8s} of ${n}`);
  }
  const slurm = env.SLURM_ARRAY_TASK_ID;
  if (slurm !== undefined && slurm !== '') {
    const count = shardsFlag ?? env.SLURM_ARRAY_TASK_COUNT;
    if (count === undefined) throw invalidParams('SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not: pass --shards N');
    const min = env.SLURM_ARRAY_TASK_MIN ? whole(env.SLURM_ARRAY_TASK_MIN) : 0;
    const max = env.SLURM_ARRAY_TASK_MAX ? whole(env.SLURM_ARRAY_TASK_MAX) : undefined;
    // A stepped or sparse array (--array=0-9:2, 1,4,7) would leave holes: its ids are not min … min + count − 1.
    if (max !== undefined && shardsFlag === undefined && max - min + 1 !== whole(count)) {
      throw invalidParams(`the Slurm array is not contiguous (ids ${min}–${max}, ${count} tasks): use --array=${min}-${min + whole(count) - 1} or pass --shard i/n`);
    }
    return shardOf(whole(slurm) - min, whole(count), 'SLURM_ARRAY_TASK_ID', `SLURM_ARRAY_TASK_ID=${slurm} (first ${min}) of ${count}`);
  }
  if (shardsFlag !== undefined) throw invalidParams('--shards N needs the shard index: --shard i/n, JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID');
  return { index: 0, count: 1, source: 'all' };
}

/** The items of a shard: those whose sorted index ≡ shard index (mod shard count). */
export function shardItems<T>(sorted: readonly T[], shard: Pick<Shard, 'index' | 'count'>): T[] {
  return sorted.filter((_, i) => i % shard.count === shard.index);
}

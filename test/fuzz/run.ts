/**
 * `npm run test:fuzz`: hostile inputs of every kind the product reads (cases.ts), each run in a worker process so
 * that a native abort, a hang or a memory blow-up is caught and pinned to its case. Every case must end in a result
 * or one typed FeatureVis error, within CASE_MS and MAX_RSS.
 *   FUZZ_CASES   cases per kind (default 10000)      FUZZ_SECONDS  time box per kind (default: none)
 *   FUZZ_KINDS   comma list (default: all)           FUZZ_SEED     first seed (default 1)
 * Exit code 1 when any case fails; the failing seeds reproduce with FUZZ_SEED=<seed> FUZZ_CASES=1 FUZZ_KINDS=<kind>.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { KINDS, type Kind } from './cases';

const CASES = Number(process.env.FUZZ_CASES ?? 10000);
const SECONDS = process.env.FUZZ_SECONDS ? Number(process.env.FUZZ_SECONDS) : Infinity;
const BASE = Number(process.env.FUZZ_SEED ?? 1);
const kinds = (process.env.FUZZ_KINDS?.split(',') ?? [...KINDS]) as Kind[];
const CASE_MS = Number(process.env.FUZZ_CASE_MS ?? 20_000);
const MAX_RSS = 2 * 1024 ** 3;
const HEAP_MB = 1024;

interface Tally { kind: Kind; cases: number; ok: number; errors: Record<string, number>; failures: { seed: number; why: string }[]; maxMs: number; maxRssMB: number; seconds: number }

function runKind(kind: Kind): Promise<Tally> {
  const t: Tally = { kind, cases: 0, ok: 0, errors: {}, failures: [], maxMs: 0, maxRssMB: 0, seconds: 0 };
  const t0 = Date.now();
  return new Promise((resolve) => {
    let next = 0;
    const startWorker = () => {
      if (next >= CASES || (Date.now() - t0) / 1000 > SECONDS) {
        t.seconds = (Date.now() - t0) / 1000;
        return resolve(t);
      }
      // Workers run a slice each, so a time box can stop between slices.
      const end = Math.min(CASES, next + 500);
      const child: ChildProcess = fork(path.join(__dirname, 'worker.ts'), [kind, String(next), String(end), String(BASE)], {
        execArgv: ['--import', 'tsx', `--max-old-space-size=${HEAP_MB}`], serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      let stderr = '';
      child.stderr?.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
      /** The case in progress; -1 between cases; 'killed' once this runner ended the worker itself. */
      let current = -1;
      let killed = false;
      let timer: NodeJS.Timeout | undefined;
      const kill = (resumeAt: number) => { killed = true; next = resumeAt; child.kill('SIGKILL'); };
      child.on('message', (m: { at?: number; done?: number; outcome?: string; failure?: string; ms?: number; rss?: number }) => {
        if (m.at !== undefined) {
          current = m.at;
          clearTimeout(timer);
          if ((Date.now() - t0) / 1000 > SECONDS) return kill(CASES);
          timer = setTimeout(() => {
            t.cases++;
            t.failures.push({ seed: BASE + current, why: `no answer within ${CASE_MS / 1000} s` });
            kill(current + 1);
          }, CASE_MS);
          return;
        }
        clearTimeout(timer);
        current = -1;
        next = m.done! + 1;
        t.cases++;
        t.maxMs = Math.max(t.maxMs, m.ms ?? 0);
        t.maxRssMB = Math.max(t.maxRssMB, Math.round((m.rss ?? 0) / 1024 ** 2));
        if (m.failure) t.failures.push({ seed: BASE + m.done!, why: m.failure });
        else if (m.outcome === 'ok') t.ok++;
        else t.errors[m.outcome!.slice(6)] = (t.errors[m.outcome!.slice(6)] ?? 0) + 1;
        if ((m.rss ?? 0) > MAX_RSS) {
          t.failures.push({ seed: BASE + m.done!, why: `resident memory ${Math.round(m.rss! / 1024 ** 2)} MB after the case` });
          kill(next);
        }
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (!killed && current >= 0) {
          // Died inside a case: a native abort, or the V8 heap limit.
          t.cases++;
          t.failures.push({ seed: BASE + current, why: `the process died (${signal ?? `exit ${code}`}): ${stderr.trim().split('\n').slice(-1)[0] ?? ''}`.slice(0, 300) });
          next = current + 1;
        }
        startWorker();
      });
    };
    startWorker();
  });
}

(async () => {
  const tallies: Tally[] = [];
  for (const kind of kinds) {
    const tally = await runKind(kind);
    tallies.push(tally);
    const errs = Object.entries(tally.errors).map(([c, n]) => `${c} ${n}`).join(', ') || 'none';
    console.log(`${kind.padEnd(8)} ${String(tally.cases).padStart(6)} cases in ${tally.seconds.toFixed(0)} s: ${tally.ok} ok, typed errors: ${errs}; failures ${tally.failures.length}; slowest ${tally.maxMs.toFixed(0)} ms; peak RSS ${tally.maxRssMB} MB`);
    for (const f of tally.failures.slice(0, 10)) console.log(`  FAIL seed ${f.seed}: ${f.why}`);
  }
  process.exit(tallies.some((t) => t.failures.length) ? 1 : 0);
})();

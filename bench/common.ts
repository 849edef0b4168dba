/** Shared pieces of the benchmarks: timing, peer scripts, tables. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { spawnSync } from 'node:child_process';

export const ROOT = path.join(__dirname, '..');
export const CACHE = path.join(ROOT, '.cache', 'bench');

export interface Row {
  [column: string]: string | number | undefined;
}

export async function median(fn: () => Promise<unknown>, repeats: number): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

/** The Python that has torch + torchvision (+ captum): FEATUREVIS_PYTHON, a local venv, or the system one. */
/** A Python with torch and torchvision (captum not needed): exports only. */
export function peerTorchPython(): string | undefined {
  const candidates = [process.env.FEATUREVIS_PYTHON, path.join(os.homedir(), '.cache', 'featurevis', 'venvs', 'torch', 'bin', 'python'), '/usr/bin/python3'];
  return candidates.find((py) => py && fs.existsSync(py) && spawnSync(py, ['-c', 'import torch, torchvision'], { encoding: 'utf8' }).status === 0);
}

export function peerPython(): string | undefined {
  const candidates = [process.env.FEATUREVIS_PYTHON, '/opt/fv-zoo/bin/python', path.join(os.homedir(), '.cache', 'featurevis', 'venvs', 'torch', 'bin', 'python'), path.join(ROOT, '.venv', 'bin', 'python'), '/usr/bin/python3'];
  for (const py of candidates) {
    if (!py || !fs.existsSync(py)) continue;
    const r = spawnSync(py, ['-c', 'import torch, torchvision, captum'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return undefined;
}

export function runPython(py: string, args: string[]): string {
  const r = spawnSync(py, args, { encoding: 'utf8', cwd: ROOT, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${args[0]} failed: ${r.stderr.slice(-800)}`);
  return r.stdout;
}

export function ensureBenchModels(py: string, names: string[]): Record<string, string> {
  runPython(py, ['tools/bench_models.py', CACHE, names.join(',')]);
  return Object.fromEntries(names.map((n) => [n, path.join(CACHE, `${n}.onnx`)]));
}

export function printTable(title: string, rows: Row[]): void {
  if (rows.length === 0) return;
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => (typeof v === 'number' ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2)) : String(v ?? ''));
  console.log(`\n### ${title}\n`);
  console.log(`| ${cols.join(' | ')} |`);
  console.log(`|${cols.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${cols.map((c) => cell(r[c])).join(' | ')} |`);
}

/**
 * The CLI's conventions (issue 14): help for the program and every command (method and metric parameters from
 * their schemas), --version, did-you-mean for commands, options and method parameters, exit code 2 and one line
 * for usage errors, progress lines on a non-TTY stderr and --quiet.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { methods } from '../../src/engine/methods';
import { metrics } from '../../src/engine/metrics';
import { SPECS } from '../../src/cli/program';
import { paramLine } from '../../src/cli/help';
import { TaskProgress } from '../../src/cli/progress';
import { similar } from '../../src/cli/args';
import { FIXTURES } from './helpers';

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'src', 'cli', 'main.ts');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'featurevis-cli-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// Piped stdio: stderr is not a TTY, so progress comes as lines.
const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, FEATUREVIS_THREADS: '1' } });
const convnet = ['--model', path.join(FIXTURES, 'convnet', 'model.onnx'), '--input', path.join(FIXTURES, 'convnet', 'input.npy')];

test('--version and -V print package.json\'s version', () => {
  const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const r = cli(flag);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), version);
  }
});

test('--help and -h at the top level list every command; each command has its own help', () => {
  for (const flag of ['--help', '-h']) {
    const r = cli(flag);
    assert.equal(r.status, 0, r.stderr);
    for (const s of SPECS) assert.match(r.stdout, new RegExp(`^  ${s.name}\\b`, 'm'), s.name);
    assert.match(r.stdout, /Exit codes: 0 ok, 1 runtime error, 2 usage/);
  }
  const h = cli('help', 'predict');
  assert.equal(h.status, 0);
  assert.match(h.stdout, /Usage: featurevis predict/);
  assert.match(h.stdout, /--top <k>/);
});

test('explain --help lists every explanation method with its parameters, defaults, bounds and help text', () => {
  const r = cli('explain', '--help');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /--method <name>/);
  assert.match(r.stdout, /--clip-mass <P>/);
  for (const m of methods.infos().filter((x) => x.family !== 'reconstruction')) {
    assert.match(r.stdout, new RegExp(`^  ${m.id} — `, 'm'), m.id);
    for (const p of m.params) assert.ok(r.stdout.includes(paramLine(p)), `${m.id} --${p.name}`);
  }
  assert.ok(!r.stdout.includes('  activation-max — '), 'reconstruction methods belong to reconstruct --help');
  // One method's help: its parameters only, e.g. ε with its default and bounds.
  const one = cli('explain', '--method', 'lrp-epsilon', '--help');
  assert.equal(one.status, 0, one.stderr);
  assert.match(one.stdout, /--eps <number> +default 0\.25, in \[1e-9, 10\]: LRP-ε stabiliser/);
  assert.ok(!one.stdout.includes('  occlusion — '));
  // A wrapper with its inner method: both schemas.
  const sg = cli('explain', '--method', 'smoothgrad', '--of', 'lrp-epsilon', '-h');
  assert.match(sg.stdout, /--samples <int> +default 50/);
  assert.match(sg.stdout, /and lrp-epsilon's parameters[^\n]*\n +--eps <number>/);
});

test('reconstruct, figure and evaluate --help list their methods\' (and metrics\') parameters', () => {
  const rec = cli('reconstruct', '--help');
  assert.match(rec.stdout, /^  activation-max — /m);
  assert.ok(methods.get('activation-max')!.params.every((p) => rec.stdout.includes(paramLine(p))));
  const fig = cli('figure', '--help');
  assert.match(fig.stdout, /--shared-scale/);
  assert.match(fig.stdout, /^  occlusion — /m);
  const ev = cli('evaluate', '--methods', 'gradient', '--metrics', 'deletion', '--help');
  assert.equal(ev.status, 0, ev.stderr);
  assert.match(ev.stdout, /^  deletion — /m);
  assert.ok(metrics.get('deletion')!.params.every((p) => ev.stdout.includes(paramLine(p))));
  assert.ok(!ev.stdout.includes('  insertion — '));
});

test('did-you-mean: an unknown command, a command option and a method parameter; exit code 2, one line', () => {
  const cases: [string[], RegExp][] = [
    [['explian'], /^featurevis: unknown command 'explian' \(did you mean explain\?\)$/],
    [['layers', '--modle', 'x.onnx'], /^featurevis: unknown option '--modle' \(did you mean --model\?\)$/],
    [['explain', ...convnet, '--method', 'lrp-epsilon', '--epss', '0.1', '--out', path.join(tmp, 'x.npy')], /^featurevis: --epss is not an option of lrp-epsilon .*; did you mean --eps\?$/],
    [['explain', ...convnet, '--method', 'gradient', '--otu', path.join(tmp, 'x.npy')], /did you mean --out\?$/],
    [['evaluate', '--images', tmp, '--methods', 'gradient', '--metrics', 'deletion', '--stpes', '3', '--out', path.join(tmp, 'r.jsonl')], /did you mean --steps\?$/],
  ];
  for (const [args, message] of cases) {
    const r = cli(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr.trim(), message);
  }
  assert.deepEqual(similar('epss', ['eps', 'out', 'model']), ['eps']);
  assert.deepEqual(similar('zzzz', ['eps', 'out']), []);
});

test('usage errors exit 2 with one line: a missing value, no command, an unknown short option', () => {
  for (const args of [['explain', ...convnet, '--method', 'gradient', '--out'], [], ['explain', ...convnet, '-q', '--method', 'gradient', '--out', path.join(tmp, 'y.npy')]]) {
    const r = cli(...args);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^featurevis: /);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

test('a long run reports progress as lines on a non-TTY stderr; --quiet silences them', () => {
  const out = path.join(tmp, 'occ.npy');
  const r = cli('explain', ...convnet, '--method', 'occlusion', '--box', '4,4', '--stride', '2,2', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.ok(lines.length >= 1, r.stderr);
  for (const l of lines) assert.match(l, /^\d+%  occlusion: \d+\/\d+ windows/);
  assert.match(lines[lines.length - 1], /^100%  occlusion: (\d+)\/\1 windows$/);
  assert.doesNotMatch(r.stderr, /\r|\x1b/);
  const q = cli('explain', ...convnet, '--method', 'occlusion', '--box', '4,4', '--stride', '2,2', '--out', out, '--quiet');
  assert.equal(q.status, 0, q.stderr);
  assert.equal(q.stderr, '');
  assert.match(q.stdout, /^occlusion: /);
});

test('task progress: a log line at each 5 % mark (or after 10 s), a terminal bar redrawn in place', () => {
  let t = 0;
  const log = { text: '', isTTY: false, write(s: string) { this.text += s; } };
  const p = new TaskProgress(log, 'rise: ', () => t);
  for (let i = 1; i <= 200; i++) { t += 10; p.report({ fraction: i / 200, message: `${i}/200 masks`, etaMs: (200 - i) * 10 }); }
  const lines = log.text.trim().split('\n');
  assert.equal(lines.length, 21);
  assert.equal(lines[0], 'rise: 1%  1/200 masks, ETA 2 s');
  assert.equal(lines[20], 'rise: 100%  200/200 masks');
  const tty = { text: '', isTTY: true, write(s: string) { this.text += s; } };
  const b = new TaskProgress(tty, '', () => t);
  b.report({ fraction: 0.5, message: 'step 50/100', etaMs: 3000 });
  b.end();
  assert.equal(tty.text, '\r[############............] 50%  step 50/100, ETA 3 s\x1b[K\n');
});

/**
 * `featurevis evaluate --images`: a run over a folder on the convnet fixture (one seeded line per image × method ×
 * metric), an existing --out refused without --resume, --resume after a cut last line and after Ctrl-C giving the
 * lines of an uninterrupted run, parameters by flag (plain, scoped, ambiguous), the progress line, the plot.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { decodeImage } from '../../src/engine/image/decode';
import { parseArgs } from '../../src/cli/args';
import { identity, lineSeed, readResults } from '../../src/cli/evaluate-lines';
import { listImages, runEvaluate } from '../../src/cli/evaluate-run';
import { ProgressBar } from '../../src/cli/evaluate-progress';
import { summaryRows } from '../../src/cli/evaluate-merge';
import { summaryPlot } from '../../src/cli/evaluate-plot';
import { toPng, toSvg } from '../../src/cli/figure-draw';
import { FIXTURES, writeTestPhoto } from './helpers';

const engine = new Engine({ threads: 1 });
after(() => engine.dispose());
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-evaluate-run-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const model = path.join(tmp, 'net.onnx');
fs.copyFileSync(path.join(FIXTURES, 'convnet', 'model.onnx'), model);
fs.writeFileSync(path.join(tmp, 'net.json'), JSON.stringify({ size: [24, 24], mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }));
const images = path.join(tmp, 'images');
fs.mkdirSync(path.join(images, 'sub'), { recursive: true });
writeTestPhoto(path.join(images, 'b.png'), 50, 50);
writeTestPhoto(path.join(images, 'a.png'), 40, 30);
writeTestPhoto(path.join(images, 'sub', 'c.png'), 30, 60);
writeTestPhoto(path.join(images, 'd.png'), 64, 48);
fs.writeFileSync(path.join(images, 'notes.txt'), 'not an image');
fs.writeFileSync(path.join(images, '.hidden.png'), 'not listed');

interface Sink { text: string; write(s: string): void; isTTY: boolean }
const sink = (isTTY = false, onWrite?: (s: string) => void): Sink => ({ text: '', isTTY, write(s) { this.text += s; onWrite?.(s); } });
const BASE = ['--model', model, '--images', images, '--methods', 'gradient,guided-backprop', '--metrics', 'deletion,insertion', '--steps', '6'];
const run = (out: string, extra: string[] = [], stderr = sink()) =>
  runEvaluate(engine, parseArgs([...BASE, '--out', out, ...extra], new Set(['resume'])), { stderr, log: () => undefined, env: {} });
const out = (name: string) => path.join(tmp, name);

let fresh: string[] = [];

test('a run: images sorted (subfolders, no other files), one seeded line per image × method × metric', async () => {
  assert.deepEqual(listImages(images), ['a.png', 'b.png', 'd.png', 'sub/c.png']);
  assert.equal(await run(out('fresh.jsonl')), 0);
  const { lines } = readResults(out('fresh.jsonl'));
  assert.deepEqual(lines.map((l) => `${l.image} ${l.method} ${l.metric}`), ['a.png', 'b.png', 'd.png', 'sub/c.png'].flatMap((i) =>
    ['gradient', 'guided-backprop'].flatMap((m) => ['deletion', 'insertion'].map((k) => `${i} ${m} ${k}`))));
  for (const l of lines) {
    assert.equal(l.seed, lineSeed(0, l.image, l.method, l.metric));
    assert.equal(l.model.name, 'net.onnx');
    assert.equal(l.model.sha256.length, 64);
    assert.equal(l.curve!.y.length, 7);
    assert.ok(typeof l.value === 'number' && l.value >= 0 && l.value <= 1, `${l.value}`);
    assert.deepEqual(l.params, { method: {}, metric: { steps: 6 } });
  }
  // Deletion and insertion differ, and maps of different methods score differently somewhere.
  assert.notEqual(lines[0].value, lines[1].value);
  assert.ok(lines.some((l, i) => l.method === 'gradient' && l.value !== lines[i + 2].value));
  fresh = lines.map(identity);
  // Deterministic: a second run writes the same lines.
  assert.equal(await run(out('again.jsonl')), 0);
  assert.deepEqual(readResults(out('again.jsonl')).lines.map(identity), fresh);
});

test('an existing --out needs --resume; --resume of a complete file computes nothing', async () => {
  await assert.rejects(run(out('fresh.jsonl')), /exists: pass --resume to continue it, or another --out/);
  const before = fs.readFileSync(out('fresh.jsonl'), 'utf8');
  assert.equal(await run(out('fresh.jsonl'), ['--resume']), 0);
  assert.equal(fs.readFileSync(out('fresh.jsonl'), 'utf8'), before);
});

test('--resume after a cut last line: the line is dropped, the file rewritten cleanly, the result equal to a fresh run', async () => {
  const text = fs.readFileSync(out('fresh.jsonl'), 'utf8').split('\n');
  const file = out('cut.jsonl');
  fs.writeFileSync(file, text.slice(0, 5).join('\n') + '\n' + text[5].slice(0, 40));
  const err = sink();
  assert.equal(await run(file, ['--resume'], err), 0);
  assert.match(err.text, /dropped an unfinished last line/);
  const r = readResults(file);
  assert.equal(r.dropped, undefined);
  assert.deepEqual(r.lines.map(identity), fresh);
  // The five kept lines are untouched (byte for byte).
  assert.equal(fs.readFileSync(file, 'utf8').split('\n').slice(0, 5).join('\n'), text.slice(0, 5).join('\n'));
});

test('Ctrl-C stops after the current result (exit 130), SIGTERM too (143); --resume then finishes it', async () => {
  const file = out('interrupted.jsonl');
  let sent = false;
  // A log line is written after each result: the signal arrives while the run is going.
  const err = sink(false, () => {
    if (!sent) {
      sent = true;
      process.emit('SIGINT', 'SIGINT');
    }
  });
  assert.equal(await run(file, [], err), 130);
  assert.match(err.text, /SIGINT: stopping after the current result/);
  assert.equal(readResults(file).lines.length, 1);
  assert.equal(process.listenerCount('SIGINT'), 0);
  sent = false;
  const term = sink(false, () => {
    if (!sent) {
      sent = true;
      process.emit('SIGTERM', 'SIGTERM');
    }
  });
  assert.equal(await run(file, ['--resume'], term), 143);
  assert.equal(readResults(file).lines.length, 2);
  assert.equal(await run(file, ['--resume']), 0);
  assert.deepEqual(readResults(file).lines.map(identity), fresh);
});

test('--resume refuses a file of another seed, target or parameters', async () => {
  await assert.rejects(run(out('fresh.jsonl'), ['--resume', '--seed', '1']), /another --seed/);
  await assert.rejects(run(out('fresh.jsonl'), ['--resume', '--target', 'class:3']), /--target/);
  await assert.rejects(runEvaluate(engine, parseArgs([...BASE.slice(0, -1), '7', '--out', out('fresh.jsonl'), '--resume'], new Set(['resume'])), { stderr: sink(), log: () => undefined, env: {} }), /other parameters/);
});

test('parameters: plain flags go to every declarer, --ID.name to one; a name of a method and a metric must be scoped', async () => {
  const args = (...f: string[]) => parseArgs(['--model', model, '--images', images, '--out', out(`p-${Math.random()}.jsonl`), '--limit', '1', ...f], new Set(['resume']));
  const opts = { stderr: sink(), log: () => undefined, env: {} };
  await assert.rejects(runEvaluate(engine, args('--methods', 'integrated-gradients', '--metrics', 'deletion', '--steps', '4'), opts), /--steps is a parameter of integrated-gradients and of deletion: write --integrated-gradients\.steps or --deletion\.steps/);
  await assert.rejects(runEvaluate(engine, args('--methods', 'gradient', '--metrics', 'deletion', '--bogus', '1'), opts), /--bogus is not an option of evaluate/);
  await assert.rejects(runEvaluate(engine, args('--methods', 'gradient', '--metrics', 'deletion', '--insertion.steps', '1'), opts), /'insertion' is none of the methods or metrics/);
  await assert.rejects(runEvaluate(engine, args('--methods', 'gradient', '--metrics', 'nope'), opts), /unknown metric 'nope'/);
  await assert.rejects(runEvaluate(engine, args('--methods', 'gradient', '--metrics', 'deletion', '--steps', '0'), opts), /steps/);
  const file = out('scoped.jsonl');
  const scoped = parseArgs(['--model', model, '--images', images, '--out', file, '--limit', '1', '--methods', 'integrated-gradients', '--metrics', 'deletion,insertion',
    '--integrated-gradients.steps', '4', '--deletion.steps', '3', '--insertion.steps', '5'], new Set(['resume']));
  assert.equal(await runEvaluate(engine, scoped, opts), 0);
  const lines = readResults(file).lines;
  assert.deepEqual(lines.map((l) => [l.image, l.metric, l.curve!.y.length]), [['a.png', 'deletion', 4], ['a.png', 'insertion', 6]]);
  assert.deepEqual(lines[0].params, { method: { steps: 4 }, metric: { steps: 3 } });
  // A wrapper takes the flags of the method it wraps (--of), checked against that method's parameters.
  await assert.rejects(runEvaluate(engine, args('--methods', 'smoothgrad', '--of', 'gradient', '--metrics', 'deletion', '--eps', '0.1'), opts), /--eps is not an option of evaluate/);
  const wrapped = out('wrapped.jsonl');
  const sg = parseArgs(['--model', model, '--images', images, '--out', wrapped, '--limit', '1', '--methods', 'smoothgrad', '--of', 'guided-backprop', '--samples', '2', '--metrics', 'deletion', '--steps', '2'], new Set(['resume']));
  assert.equal(await runEvaluate(engine, sg, opts), 0);
  assert.deepEqual(readResults(wrapped).lines.map((l) => l.params), [{ method: { of: 'guided-backprop', samples: 2 }, metric: { steps: 2 } }]);
});

test('progress: a log gets a line at each 5 % mark or after 10 s; a terminal one bar line with rate and ETA', () => {
  let t = 0;
  const log = sink(false);
  const bar = new ProgressBar(100, log, () => t);
  for (let i = 1; i <= 100; i++) {
    t += 100;
    bar.update(i - 0.5);
    bar.update(i, i === 100);
  }
  const lines = log.text.trim().split('\n');
  // The first result, then each 5 % mark.
  assert.equal(lines.length, 21);
  assert.equal(lines[0], '1/100 (1%), 10/s, ETA 10 s');
  assert.equal(lines[1], '5/100 (5%), 10/s, ETA 10 s');
  assert.equal(lines[2], '10/100 (10%), 10/s, ETA 9 s');
  assert.equal(lines[20], '100/100 (100%), 10/s, 10 s in all');
  // Slow results: every 10 s even below 5 %.
  const slow = sink(false);
  t = 0;
  const b2 = new ProgressBar(1000, slow, () => t);
  for (let i = 1; i <= 6; i++) { t += 4000; b2.update(i); }
  // At 4 s (the first), 16 s and none at 20 or 24 s (< 10 s after 16 s).
  assert.deepEqual(slow.text.trim().split('\n').map((l) => l.split(' ')[0]), ['1/1000', '4/1000']);
  const tty = sink(true);
  t = 0;
  const b3 = new ProgressBar(8, tty, () => t);
  t = 2000;
  b3.update(2);
  b3.end();
  assert.equal(tty.text, '\r[######..................] 2/8 25%  1.0/s, ETA 6 s\x1b[K\n');
});

test('plot: a panel per metric, a bar per method in its colour, the better direction written; PNG and SVG', () => {
  const rows = summaryRows(readResults(out('fresh.jsonl')).lines, (m) => (m === 'deletion' ? 'lower' : 'higher'));
  const look = (m: string) => ({ title: m === 'deletion' ? 'Deletion' : 'Insertion', better: m === 'deletion' ? 'lower' : 'higher' });
  const fig = summaryPlot(rows, look, 'net.onnx: 4 images');
  const img = decodeImage(toPng(fig), 'plot.png');
  assert.deepEqual([img.width, img.height], [fig.width, fig.height]);
  const count = (rgb: number[]) => {
    let n = 0;
    for (let i = 0; i < img.data.length; i += 4) if (img.data[i] === rgb[0] && img.data[i + 1] === rgb[1] && img.data[i + 2] === rgb[2]) n++;
    return n;
  };
  // Two panels × one bar per method, in the first two palette colours.
  const blue = count([31, 119, 180]);
  const orange = count([255, 127, 14]);
  assert.ok(blue > 1000 && orange > 1000, `${blue} ${orange}`);
  const texts = fig.items.flatMap((i) => (i.kind === 'text' ? i.lines : []));
  for (const t of ['Deletion', 'Insertion', '(lower is better)', '(higher is better)', 'gradient', 'guided-', 'backprop', 'mean, 95 % CI', 'method', 'net.onnx: 4 images']) assert.ok(texts.includes(t), t);
  for (const i of fig.items) if (i.kind === 'text') assert.ok(Number.isInteger(i.x) && Number.isInteger(i.y));
  const svg = toSvg(fig);
  assert.match(svg, /<text[^>]*>Deletion<\/text>/);
  assert.match(svg, /fill="#1f77b4"/);
});

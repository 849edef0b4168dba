/**
 * `featurevis evaluate` files: the glob of --merge, reading results back (a cut last line forgiven, any other bad
 * line not), merging (duplicates dropped, conflicts refused, order independent of the files), the CSV and the table.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expandGlob, globRegExp } from '../../src/cli/evaluate-glob';
import { identity, lineSeed, readResults, toLine, type EvalLine } from '../../src/cli/evaluate-lines';
import { CSV_HEADER, mergeFiles, summaryCsv, summaryMarkdown, summaryRows } from '../../src/cli/evaluate-merge';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-evaluate-files-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const MODEL = { name: 'net.onnx', bytes: 10, sha256: 'ab'.repeat(32) };

function line(image: string, method: string, metric: string, value: number | null, ms = 1): EvalLine {
  return toLine({ metric, method, item: 0, value: value ?? Number.NaN, values: { initial: 1 }, ms }, { image, seed: lineSeed(0, image, method, metric), model: MODEL });
}
const text = (lines: EvalLine[]) => lines.map((l) => JSON.stringify(l) + '\n').join('');

test('glob: * and ? in the file name, sorted, dot files and folders left out; wildcards in folders refused', () => {
  const dir = path.join(tmp, 'glob');
  fs.mkdirSync(path.join(dir, 'results-dir.jsonl'), { recursive: true });
  for (const f of ['results-2.jsonl', 'results-10.jsonl', 'results-1.jsonl', 'results-x.json', '.results-3.jsonl', 'other.jsonl', 'a+b(1).jsonl']) fs.writeFileSync(path.join(dir, f), '');
  assert.deepEqual(expandGlob(path.join(dir, 'results-*.jsonl')).map((f) => path.basename(f)), ['results-1.jsonl', 'results-10.jsonl', 'results-2.jsonl']);
  assert.deepEqual(expandGlob(path.join(dir, 'results-?.jsonl')).map((f) => path.basename(f)), ['results-1.jsonl', 'results-2.jsonl']);
  assert.deepEqual(expandGlob(path.join(dir, '.results-*')).map((f) => path.basename(f)), ['.results-3.jsonl']);
  // Regular-expression characters in the pattern are literal.
  assert.deepEqual(expandGlob(path.join(dir, 'a+b(?).jsonl')).map((f) => path.basename(f)), ['a+b(1).jsonl']);
  assert.deepEqual(expandGlob(path.join(dir, 'other.jsonl')), [path.join(dir, 'other.jsonl')]);
  assert.deepEqual(expandGlob(path.join(dir, 'missing.jsonl')), []);
  assert.throws(() => expandGlob(path.join(tmp, 'g*', 'results-*.jsonl')), /file name only/);
  assert.ok(globRegExp('r-*.jsonl').test('r-.jsonl') && !globRegExp('r-?.jsonl').test('r-.jsonl') && !globRegExp('r.jsonl').test('rxjsonl'));
});

test('readResults: an unfinished last line is reported with the bytes before it; a bad line elsewhere is an error', () => {
  const good = [line('a.png', 'gradient', 'deletion', 0.5), line('b.png', 'gradient', 'deletion', 0.25)];
  const file = path.join(tmp, 'cut.jsonl');
  const whole = text(good);
  fs.writeFileSync(file, whole + '{"image":"c.png","method":"gradient","metr');
  const r = readResults(file);
  assert.equal(r.lines.length, 2);
  assert.equal(r.goodBytes, Buffer.byteLength(whole));
  assert.equal(r.dropped, '{"image":"c.png","method":"gradient","metr');
  // A complete JSON line without its newline is unfinished too (the newline is written with it).
  fs.writeFileSync(file, whole + JSON.stringify(good[0]));
  assert.equal(readResults(file).goodBytes, Buffer.byteLength(whole));
  fs.writeFileSync(file, whole);
  assert.deepEqual(readResults(file), { lines: good, goodBytes: Buffer.byteLength(whole) });
  fs.writeFileSync(file, JSON.stringify(good[0]) + '\n{"image": oops\n' + JSON.stringify(good[1]) + '\n');
  assert.throws(() => readResults(file), /cut\.jsonl:2: not valid JSON/);
  fs.writeFileSync(file, '{"image":"a.png"}\n');
  assert.throws(() => readResults(file), /not a featurevis evaluate result/);
});

test('a line: NaN as null, a fixed field order, identity without the time, a seed per key', () => {
  const l = line('a.png', 'gradient', 'deletion', null, 12.3456);
  assert.equal(l.value, null);
  assert.equal(l.ms, 12.35);
  assert.deepEqual(Object.keys(l), ['image', 'method', 'metric', 'item', 'value', 'values', 'ms', 'seed', 'model']);
  assert.equal(identity(l), identity(line('a.png', 'gradient', 'deletion', null, 99)));
  assert.notEqual(identity(l), identity(line('a.png', 'gradient', 'deletion', 0)));
  const seeds = new Set([lineSeed(0, 'a.png', 'gradient', 'deletion'), lineSeed(1, 'a.png', 'gradient', 'deletion'), lineSeed(0, 'b.png', 'gradient', 'deletion'), lineSeed(0, 'a.png', 'occlusion', 'deletion'), lineSeed(0, 'a.png', 'gradient', 'insertion')]);
  assert.equal(seeds.size, 5);
  for (const s of seeds) assert.ok(Number.isInteger(s) && s >= 0 && s < 2 ** 31);
  assert.equal(lineSeed(7, 'x', 'y', 'z'), lineSeed(7, 'x', 'y', 'z'));
});

test('merge: duplicates dropped, conflicting results refused, one order whatever the files; summary CSV and table', () => {
  const dir = path.join(tmp, 'merge');
  fs.mkdirSync(dir);
  const values: Record<string, number[]> = { 'gradient/deletion': [0.1, 0.2, 0.3, 0.4], 'occlusion/deletion': [0.05, 0.15, 0.1, 0.1], 'gradient/insertion': [0.5, 0.7, 0.6, 0.8] };
  const all = ['a.png', 'b.png', 'c/d.png', 'e.png'].flatMap((img, i) => Object.entries(values).map(([k, v]) => line(img, k.split('/')[0], k.split('/')[1], v[i], 10 * i + 1)));
  fs.writeFileSync(path.join(dir, 'r-0.jsonl'), text(all.filter((_, i) => i % 2 === 0)));
  // Shard 1 repeats one of shard 0's results (a re-run): same result, another time.
  fs.writeFileSync(path.join(dir, 'r-1.jsonl'), text([...all.filter((_, i) => i % 2 === 1).reverse(), { ...all[0], ms: 999 }]));
  const m = mergeFiles([path.join(dir, 'r-*.jsonl')]);
  assert.equal(m.files.length, 2);
  assert.equal(m.duplicates, 1);
  assert.equal(m.lines.length, all.length);
  const single = path.join(dir, 'all.jsonl');
  fs.writeFileSync(single, text(all));
  assert.deepEqual(mergeFiles([single]).lines.map(identity), m.lines.map(identity));

  const rows = summaryRows(m.lines, (id) => (id === 'insertion' ? 'higher' : 'lower'));
  assert.deepEqual(rows.map((r) => `${r.method}/${r.metric}`), ['gradient/deletion', 'occlusion/deletion', 'gradient/insertion']);
  const g = rows[0];
  assert.equal(g.n, 4);
  assert.ok(Math.abs(g.mean - 0.25) < 1e-15 && Math.abs(g.std - Math.sqrt(0.05 / 3)) < 1e-15);
  // t(0.975, 3) = 3.1824463052837078 (scipy).
  assert.ok(Math.abs(g.ciHigh - (0.25 + 3.1824463052837078 * Math.sqrt(0.05 / 3) / 2)) < 1e-12);
  const csv = summaryCsv(rows).split('\n');
  assert.equal(csv[0], CSV_HEADER.join(','));
  assert.equal(csv[0], 'model,method,metric,better,n,missing,mean,std,ci95_low,ci95_high,min,max');
  assert.match(csv[1], /^net\.onnx,gradient,deletion,lower,4,0,0\.25,0\.129099444873580\d*,/);
  assert.equal(csv[1].split(',').slice(-2).join(','), '0.1,0.4');
  assert.equal(csv.length, 5);
  const md = summaryMarkdown(rows).split('\n');
  assert.equal(md[0], '| method | deletion ↓ | insertion ↑ |');
  assert.equal(md[2], '| gradient | 0.250 ± 0.205 | 0.650 ± 0.205 |');
  assert.equal(md[3], '| occlusion | 0.100 ± 0.065 |  |');

  fs.writeFileSync(path.join(dir, 'r-2.jsonl'), text([{ ...all[3], value: 0.123 }]));
  assert.throws(() => mergeFiles([path.join(dir, 'r-*.jsonl')]), /c\/d\.png|a\.png|b\.png|e\.png/);
  assert.throws(() => mergeFiles([path.join(dir, 'r-*.jsonl')]), /two different results/);
  assert.throws(() => mergeFiles([path.join(dir, 'none-*.jsonl')]), /matches no file/);
  // Another image with other parameters: one summary row would mix two settings.
  fs.rmSync(path.join(dir, 'r-2.jsonl'));
  fs.writeFileSync(path.join(dir, 'r-3.jsonl'), text([{ ...line('f.png', 'gradient', 'deletion', 0.3), params: { metric: { steps: 7 } } }]));
  assert.throws(() => mergeFiles([path.join(dir, 'r-*.jsonl')]), /gradient × deletion was run with different targets or parameters/);
  fs.writeFileSync(path.join(dir, 'r-3.jsonl'), text([{ ...line('f.png', 'gradient', 'deletion', 0.3), target: 'class:2' }]));
  assert.throws(() => mergeFiles([path.join(dir, 'r-*.jsonl')]), /different targets or parameters/);
  fs.rmSync(path.join(dir, 'r-3.jsonl'));
  assert.equal(mergeFiles([path.join(dir, 'r-*.jsonl')]).lines.length, all.length);
});

test('summary: null values count as missing, not-applicable results stay out, a model column when several', () => {
  const na = { ...line('a.png', 'gradient', 'completeness', null), notApplicable: 'only for integrated-gradients' };
  const other = { ...line('a.png', 'gradient', 'deletion', 0.4), model: { ...MODEL, name: 'other.onnx', sha256: 'cd'.repeat(32) } };
  const rows = summaryRows([line('a.png', 'gradient', 'deletion', 0.2), line('b.png', 'gradient', 'deletion', null), na, other]);
  assert.deepEqual(rows.map((r) => [r.model, r.metric, r.n, r.missing]), [['net.onnx', 'deletion', 1, 1], ['other.onnx', 'deletion', 1, 0]]);
  assert.equal(summaryMarkdown(rows).split('\n')[0], '| model | method | deletion |');
  assert.match(summaryCsv(rows).split('\n')[1], /^net\.onnx,gradient,deletion,,1,1,0\.2,,,,0\.2,0\.2$/);
});

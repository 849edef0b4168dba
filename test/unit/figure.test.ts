/**
 * `featurevis figure`: the images × methods grid (and images × models × methods), as PNG and SVG: its size from the
 * layout, labels drawn, maps that are not the photo, failing methods shown in their cell, shared scales.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { FeatureVisError } from '../../src/engine/errors';
import { decodeImage, type RgbaImage } from '../../src/engine/image/decode';
import { parseArgs } from '../../src/cli/args';
import { buildFigure, figureCommand, headerLines, writeFigure, type FigureResult } from '../../src/cli/figure';
import type { Box } from '../../src/protocol/figure-layout';
import { FIXTURES, writeTestPhoto } from './helpers';

const engine = new Engine({ threads: 1 });
after(() => engine.dispose());
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-figure-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));


/** The convnet fixture (24², 10 classes, no CAM head) under a name, with labels and a crop. */
function convnet(name: string, resize: 'stretch' | 'shorter-side'): string {
  const model = path.join(tmp, `${name}.onnx`);
  fs.copyFileSync(path.join(FIXTURES, 'convnet', 'model.onnx'), model);
  const labels = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
  fs.writeFileSync(path.join(tmp, `${name}.json`), JSON.stringify({ size: [24, 24], mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], labels, ...(resize === 'shorter-side' ? { resize: { mode: 'shorter-side', size: 24, crop: 24 } } : {}) }));
  return model;
}

const wide = path.join(tmp, 'wide.png');
const tall = path.join(tmp, 'tall.png');
writeTestPhoto(wide, 300, 200);
writeTestPhoto(tall, 160, 240);
const netA = convnet('net-a', 'shorter-side');
const netB = convnet('net-b', 'stretch');
const METHODS = 'gradient,guided-backprop,cam,occlusion';

const figure = (...flags: string[]) => buildFigure(engine, parseArgs(['--inputs', `${wide},${tall}`, '--methods', METHODS, '--cell-width', '180', ...flags], new Set(['shared-scale'])));

function region(img: RgbaImage, b: Box): number[][] {
  const px: number[][] = [];
  for (let y = b.y; y < b.y + b.height; y++) for (let x = b.x; x < b.x + b.width; x++) px.push([...img.data.subarray(4 * (y * img.width + x), 4 * (y * img.width + x) + 3)]);
  return px;
}
const inked = (img: RgbaImage, b: Box) => region(img, b).filter((p) => p.some((v) => v < 200)).length;

function png(fig: FigureResult): RgbaImage {
  const file = path.join(tmp, `fig-${Math.random().toString(36).slice(2)}.png`);
  writeFigure(fig, file);
  return decodeImage(fs.readFileSync(file), file);
}

test('figure: an images × methods grid of the layout\'s size, labelled, maps unlike the photo, CAM failing in its cell', async () => {
  const fig = await figure('--model', netA, '--box', '8,8', '--stride', '4,4');
  const img = png(fig);
  const L = fig.layout;
  assert.deepEqual([img.width, img.height], [L.width, L.height]);
  assert.equal(L.rows.length, 2);
  assert.equal(L.headers.length, 4);
  assert.equal(fig.failed, 2, 'CAM on a model without a GAP → dense head, in both rows');
  // A grid: one x per column, one y per row, each cell the photo's aspect ratio, all inside the image.
  for (const [r, row] of L.rows.entries()) {
    assert.ok(row.cells.every((c, k) => c.y === row.cells[0].y && c.x === L.rows[0].cells[k].x - L.rows[0].photo.x + row.photo.x));
    const aspect = r === 0 ? 200 / 300 : 240 / 160;
    assert.ok(Math.abs(row.photo.height / row.photo.width - aspect) < 0.02, `row ${r} keeps the photo's aspect ratio`);
    assert.ok(row.cells.every((c) => c.x >= 0 && c.y >= 0 && c.x + c.width <= L.width && c.y + c.height <= L.height));
  }
  assert.ok(L.rows[1].photo.y >= L.rows[0].photo.y + L.rows[0].photo.height, 'rows do not overlap');
  // Labels: the row strips (image name, class) and every header have ink.
  for (const row of L.rows) assert.ok(inked(img, row.label) > 50, 'row label drawn');
  for (const h of [L.photoHeader, ...L.headers]) assert.ok(inked(img, h) > 30, 'header drawn');
  for (const [r, row] of L.rows.entries()) {
    const photo = region(img, row.photo);
    for (const [c, box] of row.cells.entries()) {
      if (c === 2) {
        // The CAM cell: a grey box with the reason written in it.
        const slot = region(img, row.slots[c]);
        assert.ok(slot.filter((p) => p[0] === 236).length > slot.length / 2);
        assert.ok(inked(img, row.slots[c]) > 30, 'the reason is written');
        continue;
      }
      const cell = region(img, box);
      const diff = cell.reduce((a, p, i) => a + Math.abs(p[0] - photo[i][0]) + Math.abs(p[1] - photo[i][1]) + Math.abs(p[2] - photo[i][2]), 0) / (3 * cell.length);
      assert.ok(diff > 20, `row ${r} column ${c} is a map, not the photo (mean difference ${diff.toFixed(1)})`);
      assert.ok(inked(img, row.bars[c]) > 30, 'a colour bar under each map');
    }
  }
  // Each map has its own scale.
  assert.notEqual(fig.thresholds[0][0], fig.thresholds[1][0]);
});

test('figure --shared-scale: one scale per method over the images, its bar at the foot', async () => {
  const fig = await figure('--model', netA, '--shared-scale', '--methods', 'gradient,occlusion');
  assert.equal(fig.layout.footers.length, 2);
  assert.ok(fig.layout.rows.every((r) => r.bars.length === 0));
  for (const c of [0, 1]) assert.equal(fig.thresholds[0][c], fig.thresholds[1][c]);
  assert.notEqual(fig.thresholds[0][0], fig.thresholds[0][1]);
  const img = png(fig);
  for (const f of fig.layout.footers) assert.ok(inked(img, f) > 30, 'shared bar drawn');
});

test('figure with several models: a column per model under each method, grouped headers', async () => {
  const fig = await buildFigure(engine, parseArgs(['--inputs', wide, '--models', `${netA},${netB}`, '--methods', 'gradient,grad-cam', '--cell-width', '120']));
  const L = fig.layout;
  assert.equal(L.headers.length, 4);
  assert.equal(L.groupHeaders.length, 2);
  assert.equal(L.groupHeaders[0].x, L.headers[0].x);
  assert.equal(L.groupHeaders[0].width, L.headers[1].x + L.headers[1].width - L.headers[0].x);
  const img = png(fig);
  assert.deepEqual([img.width, img.height], [L.width, L.height]);
  for (const h of [...L.groupHeaders, ...L.headers]) assert.ok(inked(img, h) > 20);
  // The shorter-side model's maps leave the photo's sides hatched; the stretched one's cover it.
  const [a, b] = [L.rows[0].cells[0], L.rows[0].cells[1]];
  const dark = (box: Box) => region(img, { ...box, width: 3 }).filter((p) => p[0] === p[1] && p[1] === p[2] && (p[0] === 48 || p[0] === 96)).length;
  assert.equal(dark(a), 3 * a.height, 'cropped-away border hatched');
  assert.ok(dark(b) < b.height / 4);
});

test('figure: a wrapper takes its inner method\'s flags (smoothgrad --of lrp-epsilon --eps); ε changes the map', async () => {
  const run = (eps: string) => buildFigure(engine, parseArgs(['--inputs', wide, '--model', netA, '--methods', 'smoothgrad', '--of', 'lrp-epsilon', '--eps', eps, '--samples', '3', '--cell-width', '60']));
  const [a, b] = [await run('0.01'), await run('5')];
  assert.notDeepEqual(png(a).data, png(b).data, 'the inner method\'s ε reached it');
  await assert.rejects(buildFigure(engine, parseArgs(['--inputs', wide, '--model', netA, '--methods', 'gradient', '--eps', '1'])), /--eps is not an option of figure or of gradient/);
});

test('figure SVG: labels as <text>, each cell an embedded PNG', async () => {
  const fig = await figure('--model', netA, '--methods', 'gradient,cam');
  const file = path.join(tmp, 'fig.svg');
  writeFigure(fig, file);
  const svg = fs.readFileSync(file, 'utf8');
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+"/);
  const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  for (const label of ['Image', 'wide.png', 'tall.png', 'Gradient']) assert.ok(texts.includes(label), `${label} in ${texts.join(' | ')}`);
  assert.ok(texts.some((t) => /^(zero|one|two|three|four|five|six|seven|eight|nine) \d+%$/.test(t)), 'the predicted class');
  assert.ok(texts.some((t) => t.includes('cannot')), 'the failed CAM cell says why');
  // Two photos, two gradient maps and their two colour bars.
  assert.equal((svg.match(/<image [^>]*href="data:image\/png;base64,/g) ?? []).length, 6);
  assert.ok(svg.includes(`width="${fig.width}" height="${fig.height}"`));
});

test('figure: bad requests fail before running, with one clear message', async () => {
  const bad = async (flags: string[], message: RegExp) => {
    await assert.rejects(buildFigure(engine, parseArgs(['--model', netA, ...flags])), (e: unknown) => e instanceof FeatureVisError && message.test(e.message) || assert.fail(String(e)));
  };
  await bad(['--inputs', wide, '--methods', 'gradient,glow'], /unknown method 'glow'/);
  await bad(['--inputs', wide, '--methods', 'activation-max'], /reconstruction/);
  await bad(['--inputs', path.join(FIXTURES, 'convnet', 'input.npy'), '--methods', 'gradient'], /images/);
  await bad(['--inputs', wide, '--methods', 'gradient', '--clip-mass', '1', '--clip-percentile', '1'], /both set the clipping/);
  await bad(['--inputs', wide, '--methods', 'gradient', '--eps', '0.1'], /--eps is not an option/);
  await bad(['--inputs', wide, '--methods', 'cam'], /no method ran/);
  await assert.rejects(figureCommand(engine, parseArgs(['--inputs', wide, '--methods', 'gradient', '--out', path.join(tmp, 'f.jpg')])), /--out must end in .png or .svg/);
});

test('column headers: the title, its short form, or the id, in two lines', () => {
  assert.deepEqual(headerLines('Gradient (saliency)', 'gradient', 30), ['Gradient (saliency)']);
  assert.deepEqual(headerLines('Gradient (saliency)', 'gradient', 12), ['Gradient', '(saliency)']);
  assert.deepEqual(headerLines('Guided backpropagation', 'guided-backprop', 18), ['Guided', 'backpropagation']);
  assert.deepEqual(headerLines('Guided backpropagation', 'guided-backprop', 14), ['guided-backpr…']);
  assert.deepEqual(headerLines('Supercalifragilistic rule', 'scr', 10), ['scr']);
  assert.deepEqual(headerLines('Class activation map', 'cam', 18), ['Class activation', 'map']);
});

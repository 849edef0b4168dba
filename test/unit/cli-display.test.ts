/**
 * `featurevis explain --out *.png` through the display pipeline: the original image's size, the model's crop
 * placed in the right box (the rest hatched), the display flags and their errors; .npy output and input unchanged.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Engine } from '../../src/engine/engine';
import { FeatureVisError } from '../../src/engine/errors';
import { decodeImage, type RgbaImage } from '../../src/engine/image/decode';
import { readNpy } from '../../src/engine/npy';
import { COMMANDS } from '../../src/cli/main';
import { parseArgs } from '../../src/cli/args';
import { FIXTURES, writeTestPhoto } from './helpers';

const engine = new Engine({ threads: 1 });
after(() => engine.dispose());
const ROOT = path.join(__dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-cli-display-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));


/** The convnet fixture (24², 3 channels) with a sidecar: stretched, or shorter side to 24 then centre-cropped. */
function convnetWith(resize: 'stretch' | 'shorter-side'): string {
  const dir = fs.mkdtempSync(path.join(tmp, `${resize}-`));
  const model = path.join(dir, 'net.onnx');
  fs.copyFileSync(path.join(FIXTURES, 'convnet', 'model.onnx'), model);
  const sidecar = { size: [24, 24], mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], ...(resize === 'shorter-side' ? { resize: { mode: 'shorter-side', size: 24, crop: 24 } } : {}) };
  fs.writeFileSync(path.join(dir, 'net.json'), JSON.stringify(sidecar));
  return model;
}

const photoFile = path.join(tmp, 'wide.png');
const photo = writeTestPhoto(photoFile);

async function explainPng(model: string, flags: string[], input = photoFile): Promise<RgbaImage> {
  const out = path.join(tmp, `out-${Math.random().toString(36).slice(2)}.png`);
  const log = console.log;
  console.log = () => undefined;
  try {
    await COMMANDS.explain(engine, parseArgs(['--model', model, '--input', input, '--out', out, ...flags]));
  } finally {
    console.log = log;
  }
  return decodeImage(fs.readFileSync(out), out);
}

/** render.ts's hatch of the cropped-away border. */
const isHatch = (img: RgbaImage, x: number, y: number) => {
  const i = 4 * (y * img.width + x);
  const v = (x + y) % 8 < 2 ? 96 : 48;
  return img.data[i] === v && img.data[i + 1] === v && img.data[i + 2] === v && img.data[i + 3] === 255;
};

function hatchShare(img: RgbaImage, x0: number, x1: number): number {
  let n = 0;
  for (let y = 0; y < img.height; y++) for (let x = x0; x < x1; x++) if (isHatch(img, x, y)) n++;
  return n / ((x1 - x0) * img.height);
}

test('explain --out .png is drawn at the original image size; shorter-side crops leave a hatched border', async () => {
  // 300 × 200 → 36 × 24 → the centre 24 columns: the original's columns 50 … 249.
  const cropped = await explainPng(convnetWith('shorter-side'), ['--method', 'gradient', '--display', 'heatmap']);
  assert.deepEqual([cropped.width, cropped.height], [300, 200]);
  assert.equal(hatchShare(cropped, 0, 50), 1, 'left of the crop: all hatch');
  assert.equal(hatchShare(cropped, 250, 300), 1, 'right of the crop: all hatch');
  assert.ok(hatchShare(cropped, 50, 250) < 0.01, `inside the crop: the map (${hatchShare(cropped, 50, 250)} hatch)`);
  const stretched = await explainPng(convnetWith('stretch'), ['--method', 'gradient', '--display', 'heatmap']);
  assert.deepEqual([stretched.width, stretched.height], [300, 200]);
  assert.ok(hatchShare(stretched, 0, 300) < 0.01, 'a stretched input covers the whole image');
});

test('the display flags reach the pipeline; --reduce, --opacity and --colormap still override it', async () => {
  const model = convnetWith('stretch');
  const grey = (img: RgbaImage) => img.data.every((v, i) => i % 4 !== 0 || (v === img.data[i + 1] && v === img.data[i + 2]));
  assert.ok(grey(await explainPng(model, ['--method', 'gradient', '--display', 'bw'])), 'bw is grey');
  assert.ok(grey(await explainPng(model, ['--method', 'gradient', '--display', 'heatmap', '--colormap', 'gray'])), '--colormap gray');
  const heat = await explainPng(model, ['--method', 'gradient', '--display', 'heatmap']);
  assert.ok(!grey(heat), 'the default heat map is coloured');
  // A blend at opacity 0 is the photo itself, at its own resolution.
  const blend = await explainPng(model, ['--method', 'gradient', '--display', 'blend', '--opacity', '0']);
  assert.ok(blend.data.every((v, i) => Math.abs(v - photo.data[i]) <= 1), 'blend at opacity 0 shows the photo');
  const sum = await explainPng(model, ['--method', 'gradient', '--display', 'heatmap', '--reduce', 'sum', '--sign', 'all']);
  const maxAbs = await explainPng(model, ['--method', 'gradient', '--display', 'heatmap', '--reduce', 'max-abs', '--sign', 'all']);
  assert.ok(sum.data.some((v, i) => v !== maxAbs.data[i]), '--reduce changes the map');
  const low = await explainPng(model, ['--method', 'gradient', '--display', 'bw', '--clip-percentile', '50']);
  const high = await explainPng(model, ['--method', 'gradient', '--display', 'bw', '--clip-mass', '0']);
  const white = (img: RgbaImage) => img.data.filter((v, i) => i % 4 === 0 && v === 255).length;
  assert.ok(white(low) > 10 * Math.max(1, white(high)), `clipping at the median saturates more pixels (${white(low)} vs ${white(high)})`);
});

test('a .npy input is drawn at the model size, batch items side by side; .npy output is the raw relevance', async () => {
  const model = path.join(FIXTURES, 'convnet', 'model.onnx');
  const input = path.join(FIXTURES, 'convnet', 'input.npy');
  const png = await explainPng(model, ['--method', 'gradient'], input);
  assert.deepEqual([png.width, png.height], [48, 24]);
  const out = path.join(tmp, 'raw.npy');
  const log = console.log;
  console.log = () => undefined;
  try {
    await COMMANDS.explain(engine, parseArgs(['--model', model, '--input', input, '--method', 'gradient', '--display', 'bw', '--out', out]));
  } finally {
    console.log = log;
  }
  const direct = await engine.explain({ model: engine.open(model), input: readNpy(input), method: 'gradient' });
  assert.deepEqual(readNpy(out), direct.relevance);
});

test('an image batch keeps each photo at its own size, side by side', async () => {
  const tall = path.join(tmp, 'tall.png');
  writeTestPhoto(tall, 120, 180);
  const png = await explainPng(convnetWith('shorter-side'), ['--method', 'grad-cam'], `${photoFile},${tall}`);
  assert.deepEqual([png.width, png.height], [420, 200]);
  assert.ok(isHatch(png, 10, 10) && !isHatch(png, 310, 90), 'item 1 starts at x = 300 with its own crop (the full width)');
});

test('display flags are checked: one clear error each, no output file', async () => {
  const model = convnetWith('stretch');
  const cases: [string[], RegExp][] = [
    [['--clip-mass', '2', '--clip-percentile', '1'], /--clip-mass and --clip-percentile both set the clipping/],
    [['--clip-mass', '100'], /--clip-mass must be in \[0, 100\), got 100/],
    [['--clip-percentile', '-1'], /--clip-percentile must be in \[0, 100\)/],
    [['--display', 'glow'], /--display must be one of heatmap, blend, masked, alpha, outline, rgb, bw, got 'glow'/],
    [['--sign', 'both'], /--sign must be one of all, positive, negative, absolute/],
    [['--outline-top', '0'], /--outline-top must be in \(0, 100\]/],
    [['--opacity', '2'], /--opacity must be in \[0, 1\]/],
    [['--reduce', 'mean'], /--reduce must be one of sum, abs-sum, max-abs/],
  ];
  const dir = fs.mkdtempSync(path.join(tmp, 'errors-'));
  for (const [flags, message] of cases) {
    const out = path.join(dir, 'never.png');
    await assert.rejects(COMMANDS.explain(engine, parseArgs(['--model', model, '--input', photoFile, '--method', 'gradient', ...flags, '--out', out])), (e: unknown) => {
      assert.ok(e instanceof FeatureVisError && e.code === 'InvalidParams', String(e));
      const { param, reason } = e.details;
      assert.match(`--${param} ${reason}`, message);
      return true;
    });
    assert.deepEqual(fs.readdirSync(dir), [], `${flags.join(' ')} left a file`);
  }
});

test('the CLI prints the exclusive clip flags as one line and exits 2', () => {
  const cli = path.join(ROOT, 'src', 'cli', 'main.ts');
  const out = path.join(tmp, 'never.png');
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, 'explain', '--model', path.join(FIXTURES, 'convnet', 'model.onnx'), '--input', photoFile, '--method', 'gradient', '--clip-mass', '2', '--clip-percentile', '5', '--out', out], { encoding: 'utf8', cwd: ROOT });
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim(), 'featurevis: --clip-mass and --clip-percentile both set the clipping; give one of them');
  assert.ok(!fs.existsSync(out));
});

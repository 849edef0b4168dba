/**
 * Issue 11, item 2: every file the engine reads for a model or an image is confined to the model's folder and
 * bounded before it is read or inflated. Cases that would hang or exhaust memory run in a child process with a
 * deadline, so a regression fails the test instead of hanging the suite.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import * as protobuf from 'protobufjs';
import { FeatureVisError } from '../../src/engine/errors';
import { readSidecar } from '../../src/engine/preprocess';
import { loadModelFile } from '../../src/engine/onnx/load';
import { ONNX_PROTO } from '../../src/engine/onnx/schema';
import { decodeImage, encodePng } from '../../src/engine/image/decode';
import { FIXTURES } from './helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'featurevis-sec-'));
const SRC = path.join(__dirname, '..', '..', 'src', 'engine');
let counter = 0;

/** A fresh folder holding `model.onnx` (empty: readSidecar reads only the sidecar) and `model.json`. */
function sidecarDir(sidecar: object): { dir: string; model: string } {
  const dir = path.join(tmp, `m${counter++}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'model.onnx'), '');
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(sidecar));
  return { dir, model: path.join(dir, 'model.onnx') };
}

function throwsTyped(fn: () => unknown, code: string, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof FeatureVisError, `expected FeatureVisError, got ${(e as Error).constructor.name}: ${(e as Error).message}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    return;
  }
  assert.fail('expected an error');
}

/**
 * Runs `body` (CommonJS, with `mod` = the required engine module) in a child process under a deadline; returns
 * what it printed as JSON plus the child's peak RSS growth over its baseline after loading the module.
 */
function isolated(module: string, body: string, timeoutMs = 20_000): { code?: string; message?: string; grewMB: number; ms: number } {
  const script = `
    const mod = require(${JSON.stringify(path.join(SRC, module))});
    const before = process.resourceUsage().maxRSS;
    const t0 = Date.now();
    let out = {};
    try { ${body}; out = { code: 'none' }; } catch (e) { out = { code: e.code, message: e.message }; }
    out.ms = Date.now() - t0;
    out.grewMB = (process.resourceUsage().maxRSS - before) / 1024;
    process.stdout.write(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 1 << 20 });
  assert.equal(r.signal, null, `the child did not finish within ${timeoutMs} ms (${r.signal}): it hangs`);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

// --- sidecar labels --------------------------------------------------------------------------------------------

test('sidecar labels: /dev/zero is refused at once, not read forever', { skip: !fs.existsSync('/dev/zero') }, () => {
  const { model } = sidecarDir({ labels: '/dev/zero' });
  const r = isolated('preprocess.ts', `mod.readSidecar(${JSON.stringify(model)})`);
  assert.equal(r.code, 'ModelLoadFailed', r.message);
  assert.match(r.message ?? '', /labels.*\/dev\/zero.*(inside the model's folder|regular file)/);
  assert.ok(r.ms < 2000, `took ${r.ms} ms`);
});

test('a FIFO as labels and /dev/zero as the sidecar itself are refused without opening them', { skip: spawnSync('mkfifo', ['--version']).status !== 0 }, () => {
  const fifo = sidecarDir({ labels: 'pipe' });
  assert.equal(spawnSync('mkfifo', [path.join(fifo.dir, 'pipe')]).status, 0);
  const r = isolated('preprocess.ts', `mod.readSidecar(${JSON.stringify(fifo.model)})`);
  assert.equal(r.code, 'ModelLoadFailed', r.message);
  assert.match(r.message ?? '', /labels 'pipe' is not a regular file/);
  const zero = sidecarDir({});
  fs.unlinkSync(path.join(zero.dir, 'model.json'));
  fs.symlinkSync('/dev/zero', path.join(zero.dir, 'model.json'));
  const z = isolated('preprocess.ts', `mod.readSidecar(${JSON.stringify(zero.model)})`);
  assert.equal(z.code, 'ModelLoadFailed', z.message);
  assert.match(z.message ?? '', /model\.json: the sidecar is not a regular file/);
});

test('sidecar labels: ../ and absolute paths outside the model\'s folder are refused', () => {
  fs.writeFileSync(path.join(tmp, 'outside.txt'), 'secret\n');
  throwsTyped(() => readSidecar(sidecarDir({ labels: '../outside.txt' }).model), 'ModelLoadFailed', /labels '\.\.\/outside\.txt'.*inside the model's folder/);
  throwsTyped(() => readSidecar(sidecarDir({ labels: path.join(tmp, 'outside.txt') }).model), 'ModelLoadFailed', /inside the model's folder/);
});

test('sidecar labels: a symlink inside the folder that points outside it is refused', () => {
  fs.writeFileSync(path.join(tmp, 'outside-labels.txt'), 'cat\ndog\n');
  const { dir, model } = sidecarDir({ labels: 'labels.txt' });
  fs.symlinkSync(path.join(tmp, 'outside-labels.txt'), path.join(dir, 'labels.txt'));
  throwsTyped(() => readSidecar(model), 'ModelLoadFailed', /labels 'labels\.txt'.*inside the model's folder/);
});

test('sidecar labels: a folder, a missing file and an oversized file are refused by name; a good file reads', () => {
  const { dir, model } = sidecarDir({ labels: 'sub' });
  fs.mkdirSync(path.join(dir, 'sub'));
  throwsTyped(() => readSidecar(model), 'ModelLoadFailed', /labels 'sub'.*not a regular file/);
  throwsTyped(() => readSidecar(sidecarDir({ labels: 'none.txt' }).model), 'ModelLoadFailed', /labels 'none\.txt'.*cannot be read/);
  const big = sidecarDir({ labels: 'big.txt' });
  fs.writeFileSync(path.join(big.dir, 'big.txt'), '');
  fs.truncateSync(path.join(big.dir, 'big.txt'), 17 * 1024 * 1024); // sparse: no disk used
  throwsTyped(() => readSidecar(big.model), 'ModelLoadFailed', /labels 'big\.txt'.*MiB.*at most 16 MiB/);
  const good = sidecarDir({ labels: 'names.txt' });
  fs.mkdirSync(path.join(good.dir, 'lists'));
  fs.writeFileSync(path.join(good.dir, 'names.txt'), 'cat\r\ndog\n\n');
  assert.deepEqual(readSidecar(good.model).labels, ['cat', 'dog']);
  // A symlink that stays inside the folder is fine.
  fs.symlinkSync(path.join(good.dir, 'names.txt'), path.join(good.dir, 'lists', 'alias.txt'));
  fs.writeFileSync(path.join(good.dir, 'model.json'), JSON.stringify({ labels: 'lists/alias.txt' }));
  assert.deepEqual(readSidecar(good.model).labels, ['cat', 'dog']);
});

// --- sidecar preprocessing -------------------------------------------------------------------------------------

test('sidecar preprocessing is validated like settings: each bad field is named', () => {
  const ok = { size: [224, 224], mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
  const bad = (over: object, field: RegExp) => throwsTyped(() => readSidecar(sidecarDir({ ...ok, ...over }).model), 'ModelLoadFailed', field);
  bad({ size: [1e6, 1e6] }, /model\.json: size .*positive integers up to 8192/);
  bad({ size: [0, 224] }, /size/);
  bad({ size: [224] }, /size/);
  bad({ size: [22.5, 224] }, /size/);
  bad({ std: [0, 0, 0] }, /model\.json: std .*non-zero/);
  bad({ std: [0.2, 0.2] }, /std .*3 numbers/);
  bad({ mean: [0.5] }, /mean .*3 numbers/);
  bad({ mean: ['a', 0, 0] }, /mean/);
  bad({ channels: 'L', mean: [0.5, 0.5, 0.5], std: [1] }, /mean .*1 number/);
  bad({ channels: 'CMYK' }, /channels/);
  bad({ resize: { mode: 'shorter-side', size: -1, crop: 224 } }, /resize/);
  bad({ resize: { mode: 'shorter-side', size: 256, crop: 1e9 } }, /resize/);
  bad({ resize: { mode: 'fit' } }, /resize/);
  throwsTyped(() => readSidecar(sidecarDir({ size: [224, 224] }).model), 'ModelLoadFailed', /mean must be 3 numbers.*got undefined/);
  // What was accepted before stays accepted.
  assert.deepEqual(readSidecar(sidecarDir({ ...ok, channels: 'BGR', resize: { mode: 'shorter-side', size: 256, crop: 224, filter: 'bilinear' } }).model).preprocessing,
    { ...ok, channels: 'BGR', resize: { mode: 'shorter-side', size: 256, crop: 224 } });
  assert.deepEqual(readSidecar(sidecarDir({ ...ok, channels: 'L', mean: [0.5], std: [0.5] }).model).preprocessing?.std, [0.5]);
  const shipped = readSidecar(path.join(__dirname, '..', '..', 'assets', 'models', 'efficientnet-lite0.onnx'));
  assert.equal(shipped.labels?.length, 1000);
  assert.deepEqual(shipped.preprocessing?.size, [224, 224]);
});

// --- external data ---------------------------------------------------------------------------------------------

const EXT = path.join(FIXTURES, 'opsets', 'convnet-external.onnx');
const ModelProto = protobuf.parse(ONNX_PROTO, { keepCase: true }).root.lookupType('onnx.ModelProto');

/** The external-data fixture copied into a fresh folder, its first initializer's entries changed by `edit`. */
function externalCopy(edit?: (entries: Map<string, string>) => void): { dir: string; model: string } {
  const dir = path.join(tmp, `ext${counter++}`);
  fs.mkdirSync(dir);
  const m = ModelProto.decode(fs.readFileSync(EXT)) as any;
  if (edit) {
    const t = m.graph.initializer[0];
    const entries = new Map<string, string>(t.external_data.map((e: { key: string; value: string }) => [e.key, e.value]));
    edit(entries);
    t.external_data = [...entries].map(([key, value]) => ({ key, value }));
  }
  fs.writeFileSync(path.join(dir, 'm.onnx'), ModelProto.encode(m).finish());
  return { dir, model: path.join(dir, 'm.onnx') };
}

test('external data: a symlinked data file that points outside the folder is refused', () => {
  const outside = path.join(tmp, `outside-${counter++}.data`);
  fs.copyFileSync(`${EXT}.data`, outside);
  const { dir, model } = externalCopy();
  fs.symlinkSync(outside, path.join(dir, 'convnet-external.onnx.data'));
  assert.throws(() => loadModelFile(model), /m\.onnx: external data location 'convnet-external\.onnx\.data' points outside the model's folder/);
  // The same file copied in loads.
  fs.unlinkSync(path.join(dir, 'convnet-external.onnx.data'));
  fs.copyFileSync(outside, path.join(dir, 'convnet-external.onnx.data'));
  assert.ok(loadModelFile(model).graph.initializers.size > 0);
});

test('external data: a location that is a folder, and offsets or lengths beyond the file, are refused before allocating', () => {
  const size = fs.statSync(`${EXT}.data`).size;
  const withData = (edit: (entries: Map<string, string>) => void) => {
    const c = externalCopy(edit);
    fs.copyFileSync(`${EXT}.data`, path.join(c.dir, 'convnet-external.onnx.data'));
    return c.model;
  };
  const beyond = new RegExp(`beyond the end of 'convnet-external\\.onnx\\.data' \\(${size} bytes\\)`);
  assert.throws(() => loadModelFile(withData((e) => e.set('length', String(2 ** 40)))), beyond);
  assert.throws(() => loadModelFile(withData((e) => { e.set('offset', String(size + 4096)); e.delete('length'); })), beyond);
  assert.throws(() => loadModelFile(withData((e) => e.set('offset', String(size - 8)))), beyond);
  assert.throws(() => loadModelFile(withData((e) => e.set('offset', '-16'))), /offset -16 .*not a non-negative integer/);
  assert.throws(() => loadModelFile(withData((e) => e.set('length', 'lots'))), /length 'lots' .*not a non-negative integer|length NaN/);
  const folder = externalCopy();
  fs.mkdirSync(path.join(folder.dir, 'convnet-external.onnx.data'));
  assert.throws(() => loadModelFile(folder.model), /'convnet-external\.onnx\.data' is not a regular file/);
});

test('a model path that is a device or a folder is refused without reading it', () => {
  const dir = path.join(tmp, `dev${counter++}`);
  fs.mkdirSync(dir);
  assert.throws(() => loadModelFile(dir), /not a regular file/);
  if (!fs.existsSync('/dev/zero')) return;
  fs.symlinkSync('/dev/zero', path.join(dir, 'zero.onnx'));
  const r = isolated('onnx/load.ts', `mod.loadModelFile(${JSON.stringify(path.join(dir, 'zero.onnx'))})`);
  assert.match(r.message ?? '', /zero\.onnx: not a regular file/);
});

// --- image decoding --------------------------------------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * An Adam7-interlaced RGBA PNG whose header says width × height but whose zlib stream inflates to `inflatedMB`
 * MiB of zeros: 1 MiB of zeros deflated with a full flush is self-contained, so repeating it builds the stream
 * without ever holding the inflated bytes here.
 */
function interlacedBomb(width: number, height: number, inflatedMB: number, interlace = 1): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  ihdr[12] = interlace; // 1: Adam7
  const block = zlib.deflateRawSync(Buffer.alloc(1 << 20), { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH });
  const total = inflatedMB * (1 << 20);
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE((((total % 65521) << 16) | 1) >>> 0, 0); // Adler-32 of `total` zero bytes
  const stream = Buffer.concat([Buffer.from([0x78, 0xda]), ...Array(inflatedMB).fill(block), zlib.deflateRawSync(Buffer.alloc(0)), adler]);
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', stream), chunk('IEND', Buffer.alloc(0))]);
}

test('an interlaced PNG bomb (a small header, a stream inflating to 768 MiB) is refused fast and in bounded memory', () => {
  const bomb = interlacedBomb(1000, 1000, 768);
  assert.ok(bomb.length < 1.5e6, `${bomb.length} bytes`);
  const file = path.join(tmp, 'bomb.png');
  fs.writeFileSync(file, bomb);
  const r = isolated('image/decode.ts', `mod.decodeImage(require('node:fs').readFileSync(${JSON.stringify(file)}), 'bomb.png')`, 60_000);
  assert.equal(r.code, 'InvalidInput', r.message);
  assert.match(r.message ?? '', /bomb\.png.*inflates to more than its 1000×1000 header/);
  assert.ok(r.grewMB < 200, `peak RSS grew by ${r.grewMB.toFixed(0)} MB`);
  assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
  // The same stream in a non-interlaced file: pngjs caps that inflate itself; it stays refused and bounded.
  fs.writeFileSync(file, interlacedBomb(1000, 1000, 768, 0));
  const plain = isolated('image/decode.ts', `mod.decodeImage(require('node:fs').readFileSync(${JSON.stringify(file)}), 'bomb.png')`, 60_000);
  assert.equal(plain.code, 'InvalidInput', plain.message);
  assert.match(plain.message ?? '', /bomb\.png could not be decoded as PNG/);
  assert.ok(plain.grewMB < 200, `peak RSS grew by ${plain.grewMB.toFixed(0)} MB`);
});

test('well-formed interlaced and plain PNGs still decode; a 20000×20000 interlaced header is refused by size', () => {
  const pixels = Uint8Array.from({ length: 13 * 7 * 4 }, (_, i) => (i * 37) % 256);
  const plain = decodeImage(encodePng(13, 7, pixels), 'plain.png');
  assert.deepEqual([plain.width, plain.height], [13, 7]);
  assert.deepEqual(Buffer.from(plain.data), Buffer.from(pixels));
  // An honest interlaced file: each Adam7 pass's rows, filter byte 0, then the pass's pixels.
  const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];
  const raw: number[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    for (let y = y0; y < 7; y += dy) {
      if (x0 >= 13) continue;
      raw.push(0);
      for (let x = x0; x < 13; x += dx) raw.push(...pixels.subarray((y * 13 + x) * 4, (y * 13 + x) * 4 + 4));
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(13, 0);
  ihdr.writeUInt32BE(7, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  ihdr[12] = 1;
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const interlaced = Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(Buffer.from(raw))), chunk('IEND', Buffer.alloc(0))]);
  const img = decodeImage(interlaced, 'adam7.png');
  assert.deepEqual(Buffer.from(img.data), Buffer.from(pixels));
  throwsTyped(() => decodeImage(interlacedBomb(20000, 20000, 1), 'wide.png'), 'InvalidInput', /20000×20000.*megapixels/);
});

/** A JPEG that is only a frame header: width × height and `components` components, each sampled 1×1. */
function jpegFrame(width: number, height: number, components: number): Buffer {
  const seg = [0xff, 0xc0, 0, 8 + 3 * components, 8, height >> 8, height & 255, width >> 8, width & 255, components];
  for (let i = 0; i < components; i++) seg.push(i + 1, 0x11, 0);
  return Buffer.from([0xff, 0xd8, ...seg, 0xff, 0xd9]);
}

test('a JPEG frame with many components (memory within the megapixel cap) or too many pixels is refused from its header', () => {
  const r = isolated('image/decode.ts', `mod.decodeImage(Buffer.from(${JSON.stringify([...jpegFrame(7000, 7000, 12)])}), 'many.jpg')`, 60_000);
  assert.equal(r.code, 'InvalidInput', r.message);
  assert.match(r.message ?? '', /many\.jpg declares 12 colour components.*at most 4/);
  assert.ok(r.grewMB < 200, `peak RSS grew by ${r.grewMB.toFixed(0)} MB`);
  assert.ok(r.ms < 2000, `took ${r.ms} ms`);
  throwsTyped(() => decodeImage(jpegFrame(20000, 20000, 3), 'wide.jpg'), 'InvalidInput', /wide\.jpg is larger than 50 megapixels/);
});

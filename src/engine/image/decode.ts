/**
 * Image decoding (PNG, JPEG) to RGB(A) pixels, with a size guard read from the header before decoding and the
 * inflated size capped by what the header allows.
 */
import * as zlib from 'node:zlib';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { invalidInput } from '../errors';

export interface RgbaImage {
  width: number;
  height: number;
  /** RGBA, 8 bits per channel, row-major. */
  data: Uint8Array;
}

export const MAX_MEGAPIXELS = 50;
/** jpeg-js counts what it allocates and stops past this: a 50-megapixel JPEG needs about 1 GB. */
const JPEG_MAX_MB = 2048;

function checkSize(width: number, height: number, name: string): void {
  if (width <= 0 || height <= 0) throw invalidInput(`${name}: the image has no pixels (${width}×${height})`);
  const mp = (width * height) / 1e6;
  if (mp > MAX_MEGAPIXELS) {
    throw invalidInput(`${name} is ${width}×${height} (${mp.toFixed(0)} megapixels); FeatureVis reads images up to ${MAX_MEGAPIXELS} megapixels. Downscale it first.`);
  }
}

/** Channels per PNG colour type (greyscale, RGB, palette, grey + alpha, RGBA). */
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Adam7 passes: first column, first row, column step, row step. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

/**
 * pngjs inflates an interlaced image's data with no limit, so a small file can inflate to gigabytes whatever its
 * header says. This inflates the IDAT stream once with the exact size the header allows as the cap (each Adam7
 * pass's rows plus their filter bytes) and refuses the file if it holds more; pngjs then inflates at most that.
 * Non-interlaced data is already capped by pngjs; malformed files are left to pngjs to report.
 */
function checkInterlacedPng(buf: Buffer, name: string): void {
  let width = 0, height = 0, bits = 0, channels = 0, interlaced = false;
  const idat: Buffer[] = [];
  for (let off = 8; off + 12 <= buf.length;) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    if (off + 12 + len > buf.length) break;
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR' && len >= 13) {
      [width, height, bits, channels, interlaced] = [data.readUInt32BE(0), data.readUInt32BE(4), data[8], PNG_CHANNELS[data[9]] ?? 0, data[12] === 1];
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  if (!interlaced || channels === 0 || bits === 0) return;
  let allowed = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    const w = width > x0 ? Math.ceil((width - x0) / dx) : 0;
    const h = height > y0 ? Math.ceil((height - y0) / dy) : 0;
    if (w > 0 && h > 0) allowed += h * (1 + Math.ceil((w * channels * bits) / 8));
  }
  try {
    zlib.inflateSync(Buffer.concat(idat), { maxOutputLength: Math.max(allowed, 1) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw invalidInput(`${name} inflates to more than its ${width}×${height} header allows (${allowed} bytes); FeatureVis refuses it as malformed (a decompression bomb?)`);
    }
  }
}

/**
 * jpeg-js allocates one 64-sample block per 8×8 tile per component (a separate typed array each, about twice what
 * its memory count says) before its limit trips, so a frame declaring many components exhausts memory within the
 * megapixel cap. Real JPEGs have 1, 3 or 4 components; more is refused from the frame header, before decoding.
 */
function checkJpegFrame(buf: Buffer, name: string): void {
  for (let off = 2; off + 4 <= buf.length;) {
    if (buf[off] !== 0xff) return;
    const marker = buf[off + 1];
    if (marker === 0xff) { off += 1; continue; }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9)) { off += 2; continue; }
    if (marker === 0xda) return;
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame && off + 10 <= buf.length) {
      const components = buf[off + 9];
      if (components > 4) throw invalidInput(`${name} declares ${components} colour components; FeatureVis reads JPEGs with at most 4`);
      return;
    }
    off += 2 + buf.readUInt16BE(off + 2);
  }
}

export function decodeImage(bytes: Uint8Array, name = 'image'): RgbaImage {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length >= 24 && buf.readUInt32BE(0) === 0x89504e47) {
    checkSize(buf.readUInt32BE(16), buf.readUInt32BE(20), name);
    checkInterlacedPng(buf, name);
    try {
      const png = PNG.sync.read(buf);
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    } catch (e) {
      throw invalidInput(`${name} could not be decoded as PNG (${(e as Error).message}); is the file complete?`);
    }
  }
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8) {
    checkJpegFrame(buf, name);
    try {
      const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_MEGAPIXELS, maxMemoryUsageInMB: JPEG_MAX_MB });
      checkSize(img.width, img.height, name);
      return { width: img.width, height: img.height, data: img.data };
    } catch (e) {
      const msg = (e as Error).message;
      if (/maxResolutionInMP|resolution/i.test(msg)) throw invalidInput(`${name} is larger than ${MAX_MEGAPIXELS} megapixels; downscale it first.`);
      if (/maxMemoryUsageInMB/.test(msg)) throw invalidInput(`${name} needs more than ${JPEG_MAX_MB} MB to decode; FeatureVis refuses it (downscale it first).`);
      if ((e as { code?: string }).code === 'InvalidInput') throw e;
      throw invalidInput(`${name} could not be decoded as JPEG (${msg}); is the file complete?`);
    }
  }
  throw invalidInput(`${name} is not a PNG or JPEG image (FeatureVis reads PNG and JPEG; convert other formats first)`);
}

export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  return PNG.sync.write(png);
}

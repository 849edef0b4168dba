/** Image decoding (PNG, JPEG) to RGB(A) pixels, with a size guard read from the header before decoding. */
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

function checkSize(width: number, height: number, name: string): void {
  if (width <= 0 || height <= 0) throw invalidInput(`${name}: the image has no pixels (${width}×${height})`);
  const mp = (width * height) / 1e6;
  if (mp > MAX_MEGAPIXELS) {
    throw invalidInput(`${name} is ${width}×${height} (${mp.toFixed(0)} megapixels); FeatureVis reads images up to ${MAX_MEGAPIXELS} megapixels. Downscale it first.`);
  }
}

export function decodeImage(bytes: Uint8Array, name = 'image'): RgbaImage {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length >= 24 && buf.readUInt32BE(0) === 0x89504e47) {
    checkSize(buf.readUInt32BE(16), buf.readUInt32BE(20), name);
    try {
      const png = PNG.sync.read(buf);
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    } catch (e) {
      throw invalidInput(`${name} could not be decoded as PNG (${(e as Error).message}); is the file complete?`);
    }
  }
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8) {
    try {
      const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_MEGAPIXELS, maxMemoryUsageInMB: 2048 });
      checkSize(img.width, img.height, name);
      return { width: img.width, height: img.height, data: img.data };
    } catch (e) {
      const msg = (e as Error).message;
      if (/maxResolutionInMP|resolution/i.test(msg)) throw invalidInput(`${name} is larger than ${MAX_MEGAPIXELS} megapixels; downscale it first.`);
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

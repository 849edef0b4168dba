/** Pixels of the activations view (no DOM: unit-tested): feature maps on one scale, ranked as the user chose. */
import type { ActivationChannel, ActivationSort } from '../src/protocol/messages';
import { colorize } from '../src/protocol/display';
import type { Rgba } from './paint';

/** One scale for every shown map (the largest |activation|), so brightness compares across channels. */
export function sharedScale(channels: readonly ActivationChannel[]): number {
  let s = 0;
  for (const c of channels) for (const v of c.map.data) s = Math.max(s, Math.abs(v));
  return s || 1;
}

/**
 * A feature map as opaque pixels: 'heat' over [0, scale] when the maps are non-negative (after a ReLU), else
 * 'signed' (blue < 0 < red) laid over white, since a grid cell has no photo under it.
 */
export function channelPixels(map: ActivationChannel['map'], scale: number, signed: boolean): Rgba {
  const [h, w] = map.dims;
  const data = colorize(map.data, scale, signed ? 'signed' : 'heat');
  if (signed) {
    for (let i = 0; i < data.length; i += 4) {
      const a = data[i + 3] / 255;
      for (let k = 0; k < 3; k++) data[i + k] = 255 + (data[i + k] - 255) * a;
      data[i + 3] = 255;
    }
  }
  return { width: w, height: h, data };
}

/** The channels in the order the view shows them (the engine's top k, re-ordered without asking it again). */
export function sortChannels(channels: readonly ActivationChannel[], sort: ActivationSort): ActivationChannel[] {
  const key = sort === 'max' ? (c: ActivationChannel) => -c.max : sort === 'mean' ? (c: ActivationChannel) => -c.mean : (c: ActivationChannel) => c.index;
  return [...channels].sort((a, b) => key(a) - key(b) || a.index - b.index);
}

export const anyNegative = (channels: readonly ActivationChannel[]) => channels.some((c) => c.map.data.some((v) => v < 0));

/** Seeded byte mutations and random values for the fuzzing suite (deterministic: a case is its seed). */

import { rng } from '../rng';

export { rng };

export const int = (r: () => number, n: number) => Math.floor(r() * n);
export const pick = <T>(r: () => number, xs: readonly T[]): T => xs[int(r, xs.length)];

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0xfe, 0x40, 0x20];

/** One to eight mutations: bit flips, interesting bytes, truncation, duplication, insertion, deletion, splices. */
export function mutateBytes(r: () => number, src: Uint8Array): Uint8Array {
  let b: Uint8Array = Uint8Array.from(src);
  const n = 1 + int(r, 8);
  for (let k = 0; k < n && b.length > 0; k++) {
    const at = int(r, b.length);
    switch (int(r, 8)) {
      case 0: b[at] ^= 1 << int(r, 8); break;
      case 1: b[at] = pick(r, INTERESTING); break;
      case 2: b = b.slice(0, at); break;
      case 3: { const len = 1 + int(r, Math.min(256, b.length - at)); b = concat(b.slice(0, at + len), b.slice(at, at + len), b.slice(at + len)); break; }
      case 4: { const ins = Uint8Array.from({ length: 1 + int(r, 16) }, () => int(r, 256)); b = concat(b.slice(0, at), ins, b.slice(at)); break; }
      case 5: { const len = 1 + int(r, Math.min(64, b.length - at)); b = concat(b.slice(0, at), b.slice(at + len)); break; }
      case 6: for (let i = 0; i < 4 && at + i < b.length; i++) b[at + i] = 0xff; break; // a huge length or count
      default: { const from = int(r, b.length); const len = Math.min(1 + int(r, 32), b.length - from, b.length - at); b.set(b.slice(from, from + len), at); }
    }
  }
  return b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** A random JSON value, nested up to `depth`: the numbers a validator must survive (huge, negative, NaN-like). */
export function randomValue(r: () => number, depth = 2): unknown {
  switch (int(r, depth > 0 ? 9 : 7)) {
    case 0: return pick(r, [0, -1, 1, 0.5, 1e6, -1e9, 1e308, 2 ** 31, 3, 224]);
    case 1: return r() * 1000 - 500;
    case 2: return pick(r, ['', 'a', '../../etc/passwd', '/dev/zero', 'x'.repeat(5000), 'RGB', 'BGR', 'L', 'NHWC', 'stretch', 'shorter-side', 'top', 'main']);
    case 3: return r() < 0.5;
    case 4: return null;
    case 5: return undefined;
    case 6: return Array.from({ length: int(r, 5) }, () => pick(r, [0, 1, -1, 224, 1e9, 0.5]));
    case 7: return Array.from({ length: int(r, 5) }, () => randomValue(r, depth - 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = int(r, 5); i > 0; i--) o[pick(r, ['kind', 'index', 'size', 'mean', 'std', 'x', 'y0', 'data', 'width', 'height'])] = randomValue(r, depth - 1);
      return o;
    }
  }
}

/**
 * A small bitmap font for labels in PNG figures: printable ASCII (32–126) plus the Greek letters and signs the
 * method titles use. Each glyph is 5 × 9 pixels (rows 0–6 above the baseline, 7–8 descenders), drawn for this file;
 * '#' is ink. Characters without a glyph draw as '?'; accents are dropped (é → e).
 */

const G: Record<string, string> = {
  ' ': '',
  '!': '..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..',
  '"': '.#.#. .#.#. .#.#.',
  '#': '.#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.',
  $: '..#.. .#### #.#.. .###. ..#.# ####. ..#..',
  '%': '##... ##..# ...#. ..#.. .#... #..## ...##',
  '&': '.##.. #..#. #.#.. .#... #.#.# #..#. .##.#',
  "'": '..#.. ..#.. .#...',
  '(': '...#. ..#.. .#... .#... .#... ..#.. ...#.',
  ')': '.#... ..#.. ...#. ...#. ...#. ..#.. .#...',
  '*': '..... ..#.. #.#.# .###. #.#.# ..#.. .....',
  '+': '..... ..#.. ..#.. ##### ..#.. ..#.. .....',
  ',': '..... ..... ..... ..... ..... .##.. ..#.. .#...',
  '-': '..... ..... ..... ##### ..... ..... .....',
  '.': '..... ..... ..... ..... ..... .##.. .##..',
  '/': '..... ....# ...#. ..#.. .#... #.... .....',
  0: '.###. #...# #..## #.#.# ##..# #...# .###.',
  1: '..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.',
  2: '.###. #...# ....# ...#. ..#.. .#... #####',
  3: '##### ...#. ..#.. ...#. ....# #...# .###.',
  4: '...#. ..##. .#.#. #..#. ##### ...#. ...#.',
  5: '##### #.... ####. ....# ....# #...# .###.',
  6: '..##. .#... #.... ####. #...# #...# .###.',
  7: '##### ....# ...#. ..#.. .#... .#... .#...',
  8: '.###. #...# #...# .###. #...# #...# .###.',
  9: '.###. #...# #...# .#### ....# ...#. .##..',
  ':': '..... .##.. .##.. ..... .##.. .##.. .....',
  ';': '..... .##.. .##.. ..... .##.. ..#.. .#...',
  '<': '...#. ..#.. .#... #.... .#... ..#.. ...#.',
  '=': '..... ..... ##### ..... ##### ..... .....',
  '>': '.#... ..#.. ...#. ....# ...#. ..#.. .#...',
  '?': '.###. #...# ....# ...#. ..#.. ..... ..#..',
  '@': '.###. #...# ....# .##.# #.#.# #.#.# .###.',
  A: '.###. #...# #...# ##### #...# #...# #...#',
  B: '####. #...# #...# ####. #...# #...# ####.',
  C: '.###. #...# #.... #.... #.... #...# .###.',
  D: '###.. #..#. #...# #...# #...# #..#. ###..',
  E: '##### #.... #.... ####. #.... #.... #####',
  F: '##### #.... #.... ####. #.... #.... #....',
  G: '.###. #...# #.... #.### #...# #...# .####',
  H: '#...# #...# #...# ##### #...# #...# #...#',
  I: '.###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  J: '..### ...#. ...#. ...#. ...#. #..#. .##..',
  K: '#...# #..#. #.#.. ##... #.#.. #..#. #...#',
  L: '#.... #.... #.... #.... #.... #.... #####',
  M: '#...# ##.## #.#.# #.#.# #...# #...# #...#',
  N: '#...# #...# ##..# #.#.# #..## #...# #...#',
  O: '.###. #...# #...# #...# #...# #...# .###.',
  P: '####. #...# #...# ####. #.... #.... #....',
  Q: '.###. #...# #...# #...# #.#.# #..#. .##.#',
  R: '####. #...# #...# ####. #.#.. #..#. #...#',
  S: '.#### #.... #.... .###. ....# ....# ####.',
  T: '##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  U: '#...# #...# #...# #...# #...# #...# .###.',
  V: '#...# #...# #...# #...# #...# .#.#. ..#..',
  W: '#...# #...# #...# #.#.# #.#.# #.#.# .#.#.',
  X: '#...# #...# .#.#. ..#.. .#.#. #...# #...#',
  Y: '#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..',
  Z: '##### ....# ...#. ..#.. .#... #.... #####',
  '[': '.###. .#... .#... .#... .#... .#... .###.',
  '\\': '..... #.... .#... ..#.. ...#. ....# .....',
  ']': '.###. ...#. ...#. ...#. ...#. ...#. .###.',
  '^': '..#.. .#.#. #...#',
  _: '..... ..... ..... ..... ..... ..... ..... #####',
  '`': '.#... ..#..',
  a: '..... ..... .###. ....# .#### #...# .####',
  b: '#.... #.... #.##. ##..# #...# #...# ####.',
  c: '..... ..... .###. #.... #.... #...# .###.',
  d: '....# ....# .##.# #..## #...# #...# .####',
  e: '..... ..... .###. #...# ##### #.... .###.',
  f: '..##. .#..# .#... ###.. .#... .#... .#...',
  g: '..... ..... .#### #...# #...# #...# .#### ....# .###.',
  h: '#.... #.... #.##. ##..# #...# #...# #...#',
  i: '..#.. ..... .##.. ..#.. ..#.. ..#.. .###.',
  j: '...#. ..... ..##. ...#. ...#. ...#. ...#. #..#. .##..',
  k: '#.... #.... #..#. #.#.. ##... #.#.. #..#.',
  l: '.##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  m: '..... ..... ##.#. #.#.# #.#.# #.#.# #...#',
  n: '..... ..... #.##. ##..# #...# #...# #...#',
  o: '..... ..... .###. #...# #...# #...# .###.',
  p: '..... ..... ####. #...# #...# #...# ####. #.... #....',
  q: '..... ..... .#### #...# #...# #...# .#### ....# ....#',
  r: '..... ..... #.##. ##..# #.... #.... #....',
  s: '..... ..... .#### #.... .###. ....# ####.',
  t: '.#... .#... ###.. .#... .#... .#..# ..##.',
  u: '..... ..... #...# #...# #...# #..## .##.#',
  v: '..... ..... #...# #...# #...# .#.#. ..#..',
  w: '..... ..... #...# #...# #.#.# #.#.# .#.#.',
  x: '..... ..... #...# .#.#. ..#.. .#.#. #...#',
  y: '..... ..... #...# #...# #...# #...# .#### ....# .###.',
  z: '..... ..... ##### ...#. ..#.. .#... #####',
  '{': '...#. ..#.. ..#.. .#... ..#.. ..#.. ...#.',
  '|': '..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  '}': '.#... ..#.. ..#.. ...#. ..#.. ..#.. .#...',
  '~': '..... ..... .#... #.#.# ...#. ..... .....',
  // Beyond ASCII: what the method titles and value labels use.
  'α': '..... ..... .##.# #..#. #..#. #..#. .##.#',
  'β': '.##.. #..#. #..#. ###.. #..#. #..#. ###.. #.... #....',
  'γ': '..... ..... #...# #...# .#.#. .#.#. ..#.. ..#.. ..#..',
  'ε': '..... ..... .###. #.... .##.. #.... .###.',
  '·': '..... ..... ..... ..#.. ..... ..... .....',
  '⁺': '..#.. .###. ..#.. ..... ..... ..... .....',
  '×': '..... ..... #...# .#.#. ..#.. .#.#. #...#',
  '—': '..... ..... ..... ##### ..... ..... .....',
  '–': '..... ..... ..... ##### ..... ..... .....',
  '≤': '...#. ..#.. .#... ..#.. ...#. ..... #####',
  '≥': '.#... ..#.. ...#. ..#.. .#... ..... #####',
  '…': '..... ..... ..... ..... ..... ..... #.#.#',
  '²': '.##.. ...#. ..#.. .###. ..... ..... .....',
};

export const GLYPH_W = 5;
export const GLYPH_H = 9;
/** Advance and line height at scale 1 (one column and one row of spacing). */
export const ADVANCE = GLYPH_W + 1;
export const LINE_H = GLYPH_H + 1;

const BITMAPS = new Map<string, Uint8Array>();
for (const [ch, rows] of Object.entries(G)) {
  const bits = new Uint8Array(GLYPH_W * GLYPH_H);
  rows.split(' ').filter(Boolean).forEach((row, y) => [...row].forEach((c, x) => { if (c === '#') bits[y * GLYPH_W + x] = 1; }));
  BITMAPS.set(ch, bits);
}

/** A character's bitmap (GLYPH_W × GLYPH_H, row-major, 1 = ink), undefined without a glyph. */
export function glyph(ch: string): Uint8Array | undefined {
  return BITMAPS.get(ch);
}

/** The characters the font draws: accents dropped, unknown characters as '?'. One per code point of the input. */
export function printable(text: string): string[] {
  return [...text].map((ch) => {
    if (BITMAPS.has(ch)) return ch;
    const base = ch.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
    return BITMAPS.has(base) ? base : '?';
  });
}

/** Width in pixels of one line at `scale` (the last advance's spacing column not counted). */
export function textWidth(text: string, scale: number): number {
  const n = [...text].length;
  return n === 0 ? 0 : (n * ADVANCE - 1) * scale;
}

export interface Canvas { width: number; height: number; data: Uint8Array }

/** Draws one line with its top-left corner at (x, y), clipped to the canvas. */
export function drawText(c: Canvas, text: string, x: number, y: number, scale: number, rgb: readonly [number, number, number]): void {
  printable(text).forEach((ch, k) => {
    const bits = BITMAPS.get(ch)!;
    const gx = x + k * ADVANCE * scale;
    for (let py = 0; py < GLYPH_H * scale; py++) {
      const cy = y + py;
      if (cy < 0 || cy >= c.height) continue;
      for (let px = 0; px < GLYPH_W * scale; px++) {
        const cx = gx + px;
        if (cx < 0 || cx >= c.width || !bits[Math.floor(py / scale) * GLYPH_W + Math.floor(px / scale)]) continue;
        const i = 4 * (cy * c.width + cx);
        c.data[i] = rgb[0]; c.data[i + 1] = rgb[1]; c.data[i + 2] = rgb[2]; c.data[i + 3] = 255;
      }
    }
  });
}

/**
 * Words into lines of at most `maxChars` characters; a word longer than a line is cut with '…'. At most
 * `maxLines` lines (the last one ends in '…' when text was left out).
 */
export function wrap(text: string, maxChars: number, maxLines = Infinity): string[] {
  const cut = (w: string) => ([...w].length > maxChars ? [...w].slice(0, Math.max(1, maxChars - 1)).join('') + '…' : w);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean).map(cut)) {
    if (!line) line = word;
    else if ([...line].length + 1 + [...word].length <= maxChars) line += ' ' + word;
    else { lines.push(line); line = word; }
  }
  if (line) lines.push(line);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  const last = [...kept[maxLines - 1]];
  kept[maxLines - 1] = (last.length >= maxChars ? last.slice(0, maxChars - 1).join('') : last.join('')) + '…';
  return kept;
}

/** Whether every word of `text` fits a line of `maxChars` and it takes at most `maxLines` lines. */
export function fits(text: string, maxChars: number, maxLines: number): boolean {
  const words = text.split(/\s+/).filter(Boolean);
  return words.every((w) => [...w].length <= maxChars) && wrap(text, maxChars).length <= maxLines;
}

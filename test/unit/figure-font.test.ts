/** The figures' bitmap font: every printable ASCII character drawn, distinct glyphs, measuring and wrapping. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ADVANCE, GLYPH_H, GLYPH_W, LINE_H, drawText, fits, glyph, printable, textWidth, wrap } from '../../src/cli/bitmap-font';

const ASCII = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));

test('every ASCII character 32–126 has a glyph; all but space have ink, and no two are alike', () => {
  const seen = new Map<string, string>();
  for (const ch of ASCII) {
    const bits = glyph(ch);
    assert.ok(bits, `no glyph for ${JSON.stringify(ch)}`);
    assert.equal(bits.length, GLYPH_W * GLYPH_H);
    if (ch === ' ') { assert.ok(bits.every((b) => b === 0)); continue; }
    assert.ok(bits.some((b) => b === 1), `${ch} has no ink`);
    const key = bits.join('');
    assert.ok(!seen.has(key), `${ch} draws like ${seen.get(key)}`);
    seen.set(key, ch);
  }
  // The method titles' Greek letters are drawn too.
  for (const ch of 'αβγε·⁺×') assert.ok(glyph(ch)?.some((b) => b === 1), ch);
});

test('drawText puts each glyph at its advance, scaled by whole pixels', () => {
  const canvas = { width: 40, height: 24, data: new Uint8Array(40 * 24 * 4) };
  drawText(canvas, 'LT', 3, 2, 2, [255, 0, 0]);
  const ink = (x: number, y: number) => canvas.data[4 * (y * canvas.width + x) + 3] === 255;
  const [L, T] = [glyph('L')!, glyph('T')!];
  for (let y = 0; y < canvas.height; y++) {
    for (let x = 0; x < canvas.width; x++) {
      const [gx, gy] = [Math.floor((x - 3) / 2), Math.floor((y - 2) / 2)];
      let expected = false;
      if (gy >= 0 && gy < GLYPH_H && gx >= 0 && gx < GLYPH_W) expected = L[gy * GLYPH_W + gx] === 1;
      const tx = gx - ADVANCE;
      if (gy >= 0 && gy < GLYPH_H && tx >= 0 && tx < GLYPH_W) expected = T[gy * GLYPH_W + tx] === 1;
      assert.equal(ink(x, y), expected, `(${x}, ${y})`);
    }
  }
  assert.equal(canvas.data[4 * (2 * 40 + 3)], 255, "L's top-left pixel is red");
  assert.equal(textWidth('LT', 2), (2 * ADVANCE - 1) * 2);
  assert.equal(LINE_H, GLYPH_H + 1);
});

test('characters without a glyph: accents dropped, others as ?', () => {
  assert.deepEqual(printable('café 中'), ['c', 'a', 'f', 'e', ' ', '?']);
  assert.deepEqual(printable('LRP-ε'), ['L', 'R', 'P', '-', 'ε']);
});

test('wrap: words into lines, long words cut, extra lines dropped with …', () => {
  assert.deepEqual(wrap('the quick brown fox', 10), ['the quick', 'brown fox']);
  assert.deepEqual(wrap('antidisestablishment', 8), ['antidis…']);
  assert.deepEqual(wrap('one two three four', 5, 2), ['one', 'two…']);
  assert.deepEqual(wrap('', 5), []);
  assert.ok(fits('Class activation map', 16, 2));
  assert.ok(!fits('Guided backpropagation', 12, 2));
});

/** Figure geometry (protocol/figure-layout.ts) against hand-computed boxes. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { figureLayout, fitCell } from '../../src/protocol/figure-layout';

const spec = { photos: [{ width: 300, height: 200 }, { width: 100, height: 300 }], columns: 2, cellWidth: 100, rowLabelWidth: 50, headerHeight: 20, barHeight: 10, footerHeight: 0, gap: 4, margin: 8 };

test('fitCell: the row height follows the aspect ratio up to 1.5 × the width; the image fits inside', () => {
  assert.deepEqual(fitCell(300, 200, 100), { rowHeight: 67, width: 100, height: 67 });
  assert.deepEqual(fitCell(100, 300, 100), { rowHeight: 150, width: 50, height: 150 });
  assert.deepEqual(fitCell(50, 50, 100), { rowHeight: 100, width: 100, height: 100 });
});

test('figureLayout: label strip, photo column, map columns, bars under each row', () => {
  const L = figureLayout(spec);
  // x: margin 8 | label 50 | gap 4 | photo 100 | gap 4 | map 100 | gap 4 | map 100 | margin 8.
  assert.equal(L.width, 8 + 50 + 4 + 100 + 4 + 100 + 4 + 100 + 8);
  assert.deepEqual(L.photoHeader, { x: 62, y: 8, width: 100, height: 20 });
  assert.deepEqual(L.headers.map((h) => h.x), [166, 270]);
  assert.deepEqual(L.groupHeaders, []);
  const [a, b] = L.rows;
  assert.deepEqual(a.label, { x: 8, y: 32, width: 50, height: 77 });
  assert.deepEqual(a.photo, { x: 62, y: 32, width: 100, height: 67 });
  assert.deepEqual(a.cells[1], { x: 270, y: 32, width: 100, height: 67 });
  assert.deepEqual(a.bars[0], { x: 166, y: 99, width: 100, height: 10 });
  // The tall photo: a 150-pixel row, the image 50 wide, centred in its slot.
  assert.deepEqual(b.photoSlot, { x: 62, y: 113, width: 100, height: 150 });
  assert.deepEqual(b.photo, { x: 87, y: 113, width: 50, height: 150 });
  assert.deepEqual(b.cells[0], { x: 191, y: 113, width: 50, height: 150 });
  assert.equal(L.height, 113 + 150 + 10 + 8);
  assert.deepEqual(L.footers, []);
});

test('figureLayout: group headers span their columns; shared bars sit in a footer', () => {
  const L = figureLayout({ ...spec, groups: [2], barHeight: 0, footerHeight: 12 });
  assert.deepEqual(L.groupHeaders, [{ x: 166, y: 8, width: 204, height: 20 }]);
  assert.equal(L.headers[0].y, 28);
  assert.ok(L.rows.every((r) => r.bars.length === 0));
  assert.deepEqual(L.footers.map((f) => [f.x, f.y, f.height]), [[166, 52 + 67 + 4 + 150 + 4, 12], [270, 52 + 67 + 4 + 150 + 4, 12]]);
  assert.throws(() => figureLayout({ ...spec, groups: [1] }), /cover every map column/);
});

// Code ↔ model links (issue 15) in a real VS Code, on a copy of examples/pytorch-cnn as the workspace (its
// .vscode/settings.json points featurevis.model at model.dynamo.onnx): CodeLenses above the layer definitions in
// model.py, the activations panel from a lens, the hover, Go to Definition from the inspector, the cursor selecting
// its layer in the inspector, and a re-export (a prepared edited export, tools/make_e2e_reexport.py) named by
// module path. Screenshots codelens / hover / activations go to E2E_OUT (copied into docs/screenshots by hand).
import { test as nodeTest, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { lap, page, repo, root, shot, startSession, stopSession, waitFor, webview, workspace } from './session.mjs';

const EXAMPLE = path.join(repo, 'examples/pytorch-cnn');
const EDITED = path.join(repo, 'test/e2e/fixtures/pytorch-cnn-edited');
const OUT = process.env.E2E_OUT || path.join(repo, 'test/e2e/out');

/** Every file of the example (binary-safe), relative path → content. */
function exampleFiles(dir = EXAMPLE, rel = '') {
  const files = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) Object.assign(files, exampleFiles(path.join(dir, e.name), r));
    else files[r] = fs.readFileSync(path.join(dir, e.name));
  }
  return files;
}

/** The extension's output channel (where the host logs the source map) into E2E_OUT, before teardown. */
function keepLog() {
  const walk = (d) => (fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)])) : []);
  for (const f of walk(path.join(root, 'data', 'logs')).filter((f) => /FeatureVis\.log$/.test(f))) fs.copyFileSync(f, path.join(OUT, 'source-featurevis.log'));
}

before(() => startSession({ files: exampleFiles() }));
after(async () => { try { keepLog(); } catch { /* diagnostics only */ } await stopSession(); });

const test = (name, fn) => nodeTest(name, async (t) => {
  try { await fn(t); } catch (e) { await shot(`failed-source-${name.replace(/\W+/g, '_').slice(0, 40)}`).catch(() => {}); throw e; }
});

/** 0-based line of model.py that starts with `prefix` (after indentation); there must be exactly one. */
const source = () => fs.readFileSync(path.join(workspace, 'model.py'), 'utf8').split('\n');
function lineOf(prefix) {
  const hits = source().flatMap((l, i) => (l.trim().startsWith(prefix) ? [i] : []));
  assert.equal(hits.length, 1, `one line of model.py starts with ${prefix}`);
  return hits[0];
}
const editor = () => page.locator('.editor-group-container.active .monaco-editor[data-uri$="model.py"]').first();
const text = (s) => (s ?? '').replace(/\u00a0/g, ' ');
/** The rendered line of the active model.py editor whose text starts with `prefix`. */
async function viewLine(prefix) {
  return waitFor(async () => {
    const lines = editor().locator('.view-lines .view-line');
    for (let i = 0; i < await lines.count(); i++) if (text(await lines.nth(i).textContent()).trim().startsWith(prefix)) return lines.nth(i);
    return null;
  }, `the line "${prefix}" rendered`, 20000, 100);
}
/** Scrolls the active model.py editor to a 0-based line (Go to Line). */
async function reveal(line) {
  await page.keyboard.press('Control+g');
  const input = page.locator('.quick-input-widget input[type="text"]');
  await input.waitFor();
  await input.fill(`:${line + 1}`);
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden' });
}
/**
 * The CodeLens row directly above the line starting with `prefix` (its bottom within one line height of the
 * line's top); both are measured again each time, since a lens that appears pushes the line down.
 */
async function lensAbove(prefix) {
  return waitFor(async () => {
    const lb = await (await viewLine(prefix)).boundingBox();
    const lenses = editor().locator('.codelens-decoration');
    for (let i = 0; i < await lenses.count(); i++) {
      const b = await lenses.nth(i).boundingBox();
      if (b && b.height > 0 && b.y + b.height <= lb.y + 1 && lb.y - (b.y + b.height) < lb.height) return lenses.nth(i);
    }
    return null;
  }, `a CodeLens right above "${prefix}"`, 60000, 200);
}
const inspectorRows = () => page.locator('.pane-body .monaco-list-row');
const cursorLine = async () => Number(/Ln (\d+)/.exec(await page.locator('.statusbar-item[id="status.editor.selection"]').innerText())?.[1]) - 1;
const openInspector = async () => {
  const tab = page.locator('.activitybar .action-item a[aria-label^="FeatureVis"]');
  if (!(await page.locator('.pane-body .monaco-list-row', { hasText: 'Layers (' }).isVisible().catch(() => false))) await tab.click();
  await waitFor(async () => (await inspectorRows().filter({ hasText: 'stage1.0.conv1 ·' }).count()) > 0, 'the inspector lists layers by module path', 60000);
};

test('model.py shows a CodeLens "FeatureVis: activations · filters · explain here" above the conv layer definition', async () => {
  await page.locator('.explorer-folders-view .monaco-list-row[aria-label="model.py"]').click();
  await editor().waitFor();
  const lens = await lensAbove('self.conv1 = nn.Conv2d');
  const title = text(await lens.innerText()).replace(/\s+/g, ' ').trim();
  // ConvBlock is used four times (stage1.0, stage1.1, stage2.0, stage2.1): one lens for the four instances.
  assert.equal(title, 'FeatureVis: activations (4 instances) | filters | explain here');
  // The stem's convolution inside nn.Sequential(...) has its own lens, for one layer.
  await reveal(lineOf('nn.Conv2d(3, 16, 3'));
  const stem = await lensAbove('nn.Conv2d(3, 16, 3');
  assert.equal(text(await stem.innerText()).replace(/\s+/g, ' ').trim(), 'FeatureVis: activations | filters | explain here');
  await reveal(0);
  await lensAbove('self.conv1 = nn.Conv2d');
  const n = await editor().locator('.codelens-decoration').count();
  lap(`CodeLens above line ${lineOf('self.conv1 = nn.Conv2d') + 1}: "${title}"; ${n} lenses rendered`);
  // From the block class down: its lenses, one per definition, above the lines they link.
  const box = await editor().boundingBox(), top = (await (await viewLine('class ConvBlock')).boundingBox()).y - 8;
  await page.screenshot({ path: path.join(OUT, 'codelens.png'), clip: { x: box.x, y: top, width: Math.min(box.width, 860), height: Math.min(box.y + box.height - top, 400) } });
});

test('the hover on the layer line shows its output shape, parameter count and a thumbnail of its strongest channels', async () => {
  const conv1 = await viewLine('self.conv1 = nn.Conv2d');
  const lb = await conv1.boundingBox();
  const hover = page.locator('.monaco-hover:not(.hidden)', { hasText: 'FeatureVis' });
  const img = hover.locator('img[alt="strongest channels"]');
  await waitFor(async () => {
    await page.mouse.move(lb.x + 120, lb.y + lb.height / 2);
    await page.mouse.move(lb.x + 124, lb.y + lb.height / 2);
    return (await img.count()) > 0 && (await img.evaluate((el) => el.complete && el.naturalWidth > 0));
  }, 'the hover with its thumbnail', 60000, 1000);
  const body = text(await hover.innerText());
  // stage1.0.conv1: Conv 16 → 24, 3×3, no bias = 3456 parameters; output 24 channels at 24×24 (stride 2 on 48²).
  assert.match(body, /4 layers defined here/);
  assert.match(body, /stage1\.0\.conv1 · Conv → \[1×24×24×24\] · 3,456 parameters/);
  assert.match(body, /stage2\.0\.conv1 · Conv → \[1×48×12×12\] · 10,368 parameters/);
  assert.match(body, /Strongest channels of stage1\.0\.conv1 for chelsea\.png/);
  const thumb = await img.evaluate((el) => {
    const c = document.createElement('canvas');
    [c.width, c.height] = [el.naturalWidth, el.naturalHeight];
    const g = c.getContext('2d');
    g.drawImage(el, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let s = 0, s2 = 0;
    for (let i = 0; i < d.length; i += 4) { const l = (d[i] + d[i + 1] + d[i + 2]) / 3; s += l; s2 += l * l; }
    const n = d.length / 4;
    return { w: c.width, h: c.height, std: Math.sqrt(s2 / n - (s / n) ** 2), shown: el.getBoundingClientRect().width };
  });
  // Eight channels, four a row, 48 px each with 2 px gaps.
  assert.deepEqual([thumb.w, thumb.h], [4 * 48 + 3 * 2, 2 * 48 + 2]);
  assert.ok(thumb.std > 10 && thumb.shown > 100, `the thumbnail is not empty: ${JSON.stringify(thumb)}`);
  lap(`hover: ${body.split('\n').filter(Boolean).slice(0, 3).join(' | ')}; thumbnail ${thumb.w}×${thumb.h}, std ${thumb.std.toFixed(1)}`);
  // The hover (above or below the line, wherever VS Code put it) with the line under it.
  const hb = await hover.first().boundingBox();
  const eb = await editor().boundingBox();
  const x0 = Math.max(eb.x, Math.min(hb.x, lb.x) - 16), y0 = Math.max(eb.y, Math.min(hb.y, lb.y) - 16);
  const x1 = Math.min(eb.x + eb.width, Math.max(hb.x + hb.width, lb.x + 560) + 16), y1 = Math.min(eb.y + eb.height, Math.max(hb.y + hb.height, lb.y + lb.height) + 16);
  await page.screenshot({ path: path.join(OUT, 'hover.png'), clip: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } });
  await page.mouse.move(eb.x + eb.width - 20, eb.y + eb.height - 20);
  await page.keyboard.press('Escape');
});

test('clicking "activations" shows the layer\'s feature-map grid for the sample image', async () => {
  const lens = await lensAbove('self.conv1 = nn.Conv2d');
  await lens.locator('a', { hasText: 'FeatureVis: activations' }).click();
  // Four instances: the quick pick asks which, by module path.
  const pick = page.locator('.quick-input-list .monaco-list-row');
  await waitFor(async () => (await pick.count()) === 4, 'a pick of the four instances', 20000);
  const labels = (await pick.allInnerTexts()).map((s) => text(s).trim());
  ['stage1.0.conv1', 'stage1.1.conv1', 'stage2.0.conv1', 'stage2.1.conv1'].forEach((name, i) => assert.ok(labels[i].startsWith(name), `pick ${i}: ${labels[i]}`));
  await pick.filter({ hasText: 'stage2.0.conv1' }).first().click();
  const wv = await webview('Activations of', 90000);
  const tiles = wv.locator('.act-grid .act-channel');
  await waitFor(async () => (await tiles.count()) > 0, 'feature-map tiles', 60000);
  // stage2.0.conv1 has 48 channels of 12×12: the view's top 32, strongest first by mean activation.
  assert.equal(await tiles.count(), 32);
  assert.match(text(await wv.locator('body').innerText()), /chelsea\.png on model\.dynamo\.onnx · 48 channels of 12×12 · the 32 strongest by mean/);
  const cells = await tiles.evaluateAll((els) => els.map((el) => {
    const c = el.querySelector('canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let s = 0, s2 = 0;
    for (let i = 0; i < d.length; i += 4) { const l = (d[i] + d[i + 1] + d[i + 2]) / 3; s += l; s2 += l * l; }
    const n = d.length / 4;
    return { index: Number(el.dataset.channel), mean: Number(/mean (-?[\d.e+-]+)/.exec(el.title)?.[1]), size: [c.width, c.height], shown: c.getBoundingClientRect().width, std: Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2)) };
  }));
  assert.equal(new Set(cells.map((c) => c.index)).size, 32, 'distinct channels');
  for (let i = 1; i < cells.length; i++) assert.ok(cells[i - 1].mean >= cells[i].mean, `ranked by mean: ${cells.map((c) => c.mean).join(', ')}`);
  for (const c of cells) assert.deepEqual(c.size, [12, 12]);
  assert.ok(cells[0].shown >= 80, `tiles are shown enlarged (${cells[0].shown} px)`);
  assert.ok(cells.filter((c) => c.std > 5).length >= 16, `most feature maps are not flat: ${cells.map((c) => c.std.toFixed(0)).join(' ')}`);
  lap(`activations of stage2.0.conv1: ${cells.length} tiles, means ${cells[0].mean} … ${cells.at(-1).mean}`);
  const frame = page.locator('iframe.webview.ready[src*="extensionId=featurevis.featurevis"]');
  for (let i = 0; i < await frame.count(); i++) {
    const b = await frame.nth(i).boundingBox();
    if (b && b.width > 0) { await page.screenshot({ path: path.join(OUT, 'activations.png'), clip: { x: b.x, y: b.y, width: b.width, height: Math.min(b.height, 640) } }); break; }
  }
});

test('"Go to Definition" from the inspector puts the cursor on the layer\'s definition line', async () => {
  await openInspector();
  const row = inspectorRows().filter({ hasText: 'stage2.0.conv2 ·' }).first();
  await row.scrollIntoViewIfNeeded();
  await row.hover();
  await row.locator('.actions .action-label[aria-label="Go to Definition"]').click();
  const want = lineOf('self.conv2 = nn.Conv2d');
  await waitFor(async () => (await editor().count()) > 0 && (await cursorLine()) === want, `cursor on line ${want + 1}`, 20000);
  // The context menu's entry does the same for another layer.
  const fc = inspectorRows().filter({ hasText: 'classifier.fc ·' }).first();
  await fc.scrollIntoViewIfNeeded();
  await fc.click({ button: 'right' });
  const menu = page.locator('.context-view .monaco-menu');
  const item = menu.locator('.action-item', { hasText: 'Go to Definition' });
  await item.waitFor();
  await page.waitForTimeout(250);
  await item.click();
  const fcLine = lineOf('self.fc = nn.Linear');
  await waitFor(async () => (await cursorLine()) === fcLine, `cursor on line ${fcLine + 1}`, 20000);
  lap(`Go to Definition: stage2.0.conv2 → line ${want + 1}, classifier.fc → line ${fcLine + 1}`);
});

test('moving the cursor to another mapped line selects that layer in the inspector', async () => {
  await openInspector();
  const selected = () => page.locator('.pane-body .monaco-list-row.selected');
  for (const [prefix, name] of [['nn.Conv2d(3, 16, 3', 'stem.0 ·'], ['self.pool = nn.AdaptiveAvgPool2d', 'classifier.pool ·']]) {
    // Scrolled there from an unmapped line a few lines up; then the click moves the cursor.
    await reveal(lineOf(prefix) - 3);
    await (await viewLine(prefix)).click();
    await waitFor(async () => (await selected().count()) === 1 && text(await selected().innerText()).includes(name), `the inspector selects ${name}`, 20000);
    assert.equal(await cursorLine(), lineOf(prefix));
  }
  lap(`cursor → inspector: ${text(await selected().innerText()).replace(/\s+/g, ' ')}`);
});

test('an edited layer re-exported: the inspector names the changed layers by module path and shows the new shape', async () => {
  await openInspector();
  const notes = page.locator('.notifications-toasts .notification-list-item-message');
  const before = await notes.count();
  // What the user's edit and `python export.py` write: the stem widened from 16 to 32 channels.
  fs.copyFileSync(path.join(EDITED, 'model.py'), path.join(workspace, 'model.py'));
  fs.copyFileSync(path.join(EDITED, 'model.dynamo.onnx'), path.join(workspace, 'model.dynamo.onnx'));
  const msg = await waitFor(async () => {
    const all = await notes.allInnerTexts();
    return all.slice(before).map(text).find((t) => t.includes('model.dynamo.onnx changed on disk'));
  }, 'the re-export message', 60000, 200);
  assert.equal(msg.trim(), 'FeatureVis: model.dynamo.onnx changed on disk: 2 changed shape (stem.0, stem.2).');
  await waitFor(async () => (await inspectorRows().filter({ hasText: /stem\.0 · Conv \[1×32×48×48\]/ }).count()) === 1, 'the inspector shows the new shape', 30000);
  // The lenses follow the edited file: the stem's line now reads 32 channels and keeps its lens.
  await reveal(lineOf('nn.Conv2d(3, 32, 3'));
  await lensAbove('nn.Conv2d(3, 32, 3');
  lap(`re-export: ${msg.trim()}`);
  await shot('source-reexport');
});

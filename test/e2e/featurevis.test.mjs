// FeatureVis end-to-end tests in a real VS Code (code-server 4.100.3) driven by playwright-core + Debian's
// Chromium (set up by test/e2e/setup.sh). Run: npm run test:e2e (after npm run test:e2e:setup). The session and
// its helpers: session.mjs.
import { test as nodeTest, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  canvasDiff, canvasStats, choose, lap, markerEvents, page, repo, root, runFromPalette, setChecked, shot, shotPanel,
  startSession, stopSession, visualizeFromExplorer, waitFor, webview,
} from './session.mjs';

before(startSession);
after(stopSession);

let wv;
/** A test that saves a screenshot when it fails. */
const test = (name, fn) => nodeTest(name, async (t) => {
  try { await fn(t); } catch (e) { await shot(`failed-${name.replace(/\W+/g, '_').slice(0, 40)}`).catch(() => {}); throw e; }
});

test('the inspector tree lists the default model\'s layers', async () => {
  await page.locator('.activitybar .action-item a[aria-label^="FeatureVis"]').click();
  const tree = page.locator('.pane-body .monaco-list-row');
  await waitFor(async () => (await tree.filter({ hasText: 'Layers (' }).count()) > 0, 'Layers group in the inspector', 60000);
  await waitFor(async () => (await tree.filter({ hasText: 'Conv [' }).count()) >= 3, 'Conv layers in the inspector', 30000);
  const text = await page.locator('.pane-body').first().innerText();
  assert.match(text, /EfficientNet|efficientnet/i);
  const activated = markerEvents().find((e) => e.event === 'activated');
  assert.ok(activated, 'activation was recorded');
  lap(`inspector lists layers; activation took ${activated.ms.toFixed(1)} ms (module load + activate ${activated.totalMs.toFixed(1)} ms)`);
  await shot('inspector');
});

test('right-click chelsea.png → FeatureVis: Visualize shows the map beside the photo, at the photo\'s size, with a colour bar', async () => {
  await runFromPalette('View: Close All Editors');
  await page.locator('.activitybar .action-item a[aria-label^="Explorer"]').click();
  await visualizeFromExplorer('chelsea.png');
  wv = await webview('Predictions');
  const canvas = wv.locator('#heatmap'), photo = wv.locator('#photo');
  await waitFor(async () => (await canvasStats(canvas)).renders >= 1, 'first map', 90000);
  const st = await canvasStats(canvas);
  assert.ok(st.std > 5, `map canvas is not uniform (luminance std ${st.std.toFixed(1)})`);
  // The original image (400 × 266), not the model's 224² crop; photo and map side by side.
  for (const c of [canvas, photo]) assert.deepEqual(await c.evaluate((el) => [el.width, el.height]), [400, 266]);
  const [pb, mb] = [await photo.boundingBox(), await canvas.boundingBox()];
  assert.ok(mb.x >= pb.x + pb.width - 1 && Math.abs(mb.y - pb.y) < 2, `map beside the photo (photo ${JSON.stringify(pb)}, map ${JSON.stringify(mb)})`);
  const diff = await canvasDiff(canvas, photo);
  assert.ok(diff > 40, `the default view is the map itself, not the photo (mean |Δ| ${diff.toFixed(1)})`);
  assert.equal(await canvas.getAttribute('data-mode'), 'heatmap', 'guided backprop starts as an absolute heat map');
  const ticks = await wv.locator('#colorbar .tick').allInnerTexts();
  assert.ok(ticks.length >= 2 && ticks.every((t) => Number.isFinite(Number(t))) && Number(ticks.at(-1)) > 0, `colour bar ticks: ${ticks.join(' ')}`);
  const preds = await wv.locator('#predictions').innerText();
  assert.match(preds, /cat|tabby/i, `top-5 predictions: ${preds}`);
  // The vscode-elements controls rendered (shadow DOM styled through adoptedStyleSheets) under the unchanged CSP.
  const select = await wv.locator('#mode').evaluate((el) => {
    const face = el.shadowRoot?.querySelector('.select-face');
    return { face: !!face, width: el.getBoundingClientRect().width, border: face ? getComputedStyle(face).borderTopStyle : '', label: el.label };
  });
  assert.ok(select.face && select.width > 60 && select.border === 'solid', `vscode-single-select rendered: ${JSON.stringify(select)}`);
  assert.equal(select.label, 'Display mode', 'accessible label');
  assert.equal(await wv.locator('body').getAttribute('data-csp-violations'), null, 'no CSP violation');
  lap(`map beside the photo (std ${st.std.toFixed(1)}, |Δ| vs photo ${diff.toFixed(1)}, scale ${ticks.join(' … ')}); status: ${await wv.locator('#status').innerText()}`);
  await shot('visualize');
  await shotPanel('panel-default');
});

test('switching the display mode with the keyboard repaints the map', async () => {
  const canvas = wv.locator('#heatmap');
  const before = await canvasStats(canvas);
  const paints = Number(await canvas.getAttribute('data-paints'));
  // vscode-single-select: ArrowDown opens the list, ArrowDown moves to the next mode, Enter chooses it.
  await wv.locator('#mode').focus();
  for (const key of ['ArrowDown', 'ArrowDown', 'Enter']) await wv.locator('#mode').press(key);
  await waitFor(async () => (await canvas.getAttribute('data-mode')) === 'blend' && Number(await canvas.getAttribute('data-paints')) > paints, 'the blended map', 10000, 50);
  const after = await canvasStats(canvas);
  assert.notEqual(after.hash, before.hash, 'the pixels changed');
  assert.equal(after.renders, before.renders, 'a repaint, not a re-run');
  assert.ok(await wv.locator('#opacity').isVisible(), 'blend shows its opacity slider');
  lap(`display mode → blend by keyboard (hash ${before.hash} → ${after.hash})`);
  await shot('display-mode');
  await choose(wv.locator('#mode'), 'heatmap');
  await waitFor(async () => (await canvas.getAttribute('data-mode')) === 'heatmap', 'back to the heat map', 10000, 50);
});

test('hovering the map shows its value and the input pixel; the wheel zooms, double-click resets', async () => {
  const canvas = wv.locator('#heatmap');
  const box = await canvas.boundingBox();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.45);
  const readout = wv.locator('#readout');
  await waitFor(async () => /relevance -?\d/.test(await readout.innerText()), 'a value under the pointer', 5000, 50);
  const text = await readout.innerText();
  assert.match(text, /^relevance -?[\d.e-]+ · input \(\d+, \d+, \d+\) at \d+, \d+$/, text);
  await page.mouse.move(box.x + 3, box.y + box.height * 0.5);
  await waitFor(async () => /outside the model's input/.test(await readout.innerText()), 'the cropped border reads as outside', 5000, 50);
  const before = await canvasStats(canvas);
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.45);
  await page.mouse.wheel(0, -500);
  await waitFor(async () => Number(await canvas.getAttribute('data-zoom')) > 1.5, 'zoomed in', 5000, 50);
  assert.notEqual((await canvasStats(canvas)).hash, before.hash, 'the zoomed map differs');
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.45);
  lap(`hover: ${text}; zoom ${await canvas.getAttribute('data-zoom')}×`);
  await shot('hover-zoom');
  await shotPanel('panel-hover-zoom');
  await canvas.dblclick();
  await waitFor(async () => Number(await canvas.getAttribute('data-zoom')) === 1, 'zoom reset', 5000, 50);
});

test('changing a parameter changes the heatmap', async () => {
  const canvas = wv.locator('#heatmap');
  await choose(wv.locator('#method'), 'lrp-epsilon');
  let before = await canvasStats(canvas);
  await waitFor(async () => (await canvasStats(canvas)).renders > before.renders && (await wv.locator('#heatmap').getAttribute('data-method')) === 'lrp-epsilon', 'LRP-ε heatmap', 90000);
  await page.waitForTimeout(300);
  before = await canvasStats(canvas);
  // Drag the ε slider: set its value and fire 'input' as a drag does.
  const t = await wv.locator('#param-eps').evaluate((el) => { el.value = String(Number(el.max) - 0.05 * (Number(el.max) - Number(el.min))); el.dispatchEvent(new Event('input', { bubbles: true })); return performance.now(); });
  await waitFor(async () => (await canvasStats(canvas)).renders > before.renders, 'heatmap after the slider change', 60000, 20);
  const latency = await wv.locator('#heatmap').evaluate((c, t0) => performance.now() - t0, t);
  const after = await canvasStats(canvas);
  assert.notEqual(after.hash, before.hash, 'the heatmap changed');
  assert.ok(after.std > 1, 'still not uniform');
  lap(`slider → new heatmap painted in the webview: ${latency.toFixed(0)} ms (includes the 60 ms debounce); status: ${await wv.locator('#status').innerText()}`);
  await shot('parameter-changed');
});

test('the method grid renders several maps, each with a colour bar; one shared scale on request', async () => {
  await setChecked(wv.locator('#method-grid'), true);
  const cells = wv.locator('.cell canvas.cell-canvas');
  await waitFor(async () => (await cells.count()) >= 3, 'grid cells');
  const n = await cells.count();
  await waitFor(async () => (await wv.locator('.cell canvas.cell-canvas[data-rendered="1"]').count()) === n, `all ${n} grid cells rendered`, 120000, 250);
  const stats = [];
  for (let i = 0; i < n; i++) stats.push(await canvasStats(cells.nth(i)));
  for (const s of stats) assert.ok(s.std > 3, `every grid map is non-uniform (std ${s.std.toFixed(1)})`);
  assert.ok(new Set(stats.map((s) => s.hash)).size === n, 'the maps differ from each other');
  assert.equal(await wv.locator('.cell .colorbar .tick.last').count(), n, 'a colour bar under every map');
  const own = await cells.evaluateAll((cs) => cs.map((c) => Number(c.dataset.threshold)));
  assert.ok(new Set(own).size > 1, `one scale per map: ${own.join(', ')}`);
  await wv.locator('.grid').scrollIntoViewIfNeeded();
  lap(`method grid: ${n} maps (${(await wv.locator('.cell figcaption strong').allInnerTexts()).join(', ')}), thresholds ${own.map((x) => x.toPrecision(3)).join(', ')}`);
  await shot('method-grid');
  await shotPanel('panel-method-grid');
  await setChecked(wv.locator('#shared-scale'), true);
  await waitFor(async () => new Set(await cells.evaluateAll((cs) => cs.map((c) => c.dataset.threshold))).size === 1, 'one threshold for all maps', 10000, 50);
  const shared = Number(await cells.first().getAttribute('data-threshold'));
  assert.ok(shared > 0 && Number.isFinite(shared), `shared threshold ${shared}`);
  assert.match(await wv.locator('.cell .bar-caption').first().innerText(), /one scale for the grid/);
  lap(`method grid on one shared scale: ${shared.toPrecision(3)}`);
  await shot('method-grid-shared');
  await setChecked(wv.locator('#shared-scale'), false);
  await setChecked(wv.locator('#method-grid'), false);
});

test('Trust: deletion and insertion curves with their AUCs, then the randomisation strip, under the main map', async () => {
  await choose(wv.locator('#method'), 'gradient');
  await waitFor(async () => (await wv.locator('#heatmap').getAttribute('data-method')) === 'gradient' && !(await wv.locator('#status').getAttribute('class')).includes('busy'), 'gradient map', 90000);
  await wv.locator('#trust-faithfulness').click();
  const lines = wv.locator('#trust-curve-chart path.chart-line');
  await waitFor(async () => (await lines.count()) === 2 && (await wv.locator('#trust-status').innerText()).includes('insertion AUC'), 'deletion and insertion curves', 120000, 100);
  const status = await wv.locator('#trust-status').innerText();
  const auc = (name) => Number(new RegExp(`${name} AUC ([0-9.e-]+)`).exec(status)?.[1]);
  assert.ok(auc('deletion') > 0 && auc('deletion') < 1 && auc('insertion') > 0 && auc('insertion') < 1, `AUCs in (0, 1): ${status}`);
  await wv.locator('#trust').scrollIntoViewIfNeeded();
  lap(`trust curves: ${status}`);
  await shotPanel('panel-trust-curves');
  await wv.locator('#trust-randomisation').click();
  await waitFor(async () => (await wv.locator('#trust-status').innerText()).includes('rank correlation'), 'randomisation test', 240000, 250);
  const cells = wv.locator('#trust-strip .strip-cell canvas');
  assert.ok((await cells.count()) >= 3, 'the original and at least two randomised maps');
  assert.equal(await wv.locator('#trust-similarity-chart path.chart-line').count(), 2, 'Spearman and SSIM curves');
  const first = await canvasStats(cells.first()), last = await canvasStats(cells.last());
  assert.notEqual(first.hash, last.hash, 'the fully randomised map differs from the original');
  lap(`randomisation: ${await cells.count()} maps; ${await wv.locator('#trust-status').innerText()}`);
  await wv.locator('#trust-strip').scrollIntoViewIfNeeded();
  await shotPanel('panel-trust-randomisation');
  // Another map makes the results stale: they are cleared.
  await choose(wv.locator('#method'), 'guided-backprop');
  await waitFor(async () => (await wv.locator('#trust-curve-chart').count()) === 0, 'stale trust results cleared', 30000, 50);
  // Every grid map scored under it.
  await setChecked(wv.locator('#method-grid'), true);
  const gridCells = wv.locator('.cell canvas.cell-canvas');
  await waitFor(async () => (await gridCells.count()) >= 2 && (await wv.locator('.cell canvas.cell-canvas[data-rendered="1"]').count()) === await gridCells.count(), 'grid rendered', 120000, 250);
  await wv.locator('#trust-grid').click();
  const trustLines = wv.locator('.cell .cell-trust');
  await waitFor(async () => (await trustLines.allInnerTexts()).every((t) => /deletion [0-9.e-]+ ↓ · insertion [0-9.e-]+ ↑/.test(t)), 'AUCs under every grid map', 240000, 250);
  lap(`grid scored: ${(await trustLines.allInnerTexts()).join(' | ')}`);
  await wv.locator('.grid').scrollIntoViewIfNeeded();
  await shotPanel('panel-trust-grid');
  await setChecked(wv.locator('#method-grid'), false);
});

test('clicking another class explains that class instead (failure analysis)', async () => {
  const canvas = wv.locator('#heatmap');
  const before = await canvasStats(canvas);
  const second = wv.locator('#predictions li.pred[data-index]').nth(2);
  const label = await second.locator('.label').innerText();
  await second.click();
  await waitFor(async () => (await canvasStats(canvas)).renders > before.renders, 'heatmap for the clicked class', 60000, 50);
  await waitFor(async () => (await wv.locator('#status').innerText()).includes('9.304') === false, 'status shows the new target value', 30000, 50);
  const after = await canvasStats(canvas);
  assert.notEqual(after.hash, before.hash, 'the map for another class differs');
  lap(`explained class "${label}" instead of the top class; status: ${await wv.locator('#status').innerText()}`);
  await shot('other-class');
});

test('the model grid shows the same image under each workspace model', async () => {
  await setChecked(wv.locator('#model-grid'), true);
  const cells = wv.locator('.cell canvas.cell-canvas');
  await waitFor(async () => (await cells.count()) >= 2, 'model grid cells');
  const n = await cells.count();
  await waitFor(async () => (await wv.locator('.cell canvas.cell-canvas[data-rendered="1"]').count()) === n, `all ${n} model cells rendered`, 120000, 250);
  for (let i = 0; i < n; i++) assert.ok((await canvasStats(cells.nth(i))).std > 3, `model map ${i} is non-uniform`);
  const names = await wv.locator('.cell figcaption strong').allInnerTexts();
  assert.ok(names.some((x) => /convnet/.test(x)) && names.some((x) => /EfficientNet/.test(x)), `models: ${names.join(', ')}`);
  await wv.locator('.grid').scrollIntoViewIfNeeded();
  lap(`model grid: ${names.join(', ')}`);
  await shot('model-grid');
  await setChecked(wv.locator('#model-grid'), false);
});

test('a path parameter is chosen with the host\'s folder dialog, never typed; a missing one is named by its label', async () => {
  const db = path.join(root, 'ws', 'patchdb');
  fs.mkdirSync(db, { recursive: true });
  fs.copyFileSync(path.join(repo, 'assets/samples/chelsea.png'), path.join(db, 'chelsea.png'));
  const canvas = wv.locator('#heatmap'), status = wv.locator('#status');
  await choose(wv.locator('#method'), 'patch-replace');
  const database = wv.locator('#param-database');
  await database.waitFor();
  assert.equal(await wv.locator('input#param-database').count(), 0, 'no text box for a path');
  assert.match(await database.innerText(), /no folder chosen/);
  // A 7 × 7 feature map: few positions (and patches) from the one database image, so the search is quick.
  const layer = wv.locator('#param-layer');
  await choose(layer, await layer.evaluate((el) => [...el.querySelectorAll('vscode-option')].find((o) => /×7×7\]/.test(o.textContent)).value));
  await waitFor(async () => /Image folder is required/.test(await status.innerText()), 'the missing folder named by its control\'s label', 60000, 100);
  // Patches here span the whole image (224² × 3 values): a small database cap keeps the allocation small.
  // The vscode-textfield commits on leaving the field, as typing and Tab do.
  await wv.locator('#param-max-patches input').fill('64');
  await wv.locator('#param-max-patches input').press('Tab');
  await waitFor(async () => /Image folder is required/.test(await status.innerText()), 'still no folder', 60000, 100);
  lap(`missing path: ${await status.innerText()}`);
  const before = await canvasStats(canvas);
  await wv.locator('#pick-database').click();
  const input = page.locator('.quick-input-widget input[type="text"]');
  await input.waitFor();
  // VS Code's own (simple) dialog fills in its start folder first; typing before that would be overwritten.
  await waitFor(async () => (await input.inputValue()).length > 0, 'the dialog\'s start folder', 10000, 100);
  await page.waitForTimeout(300);
  await input.fill(`${db}/`);
  // Once it shows the typed folder, its OK button (the openLabel) accepts it.
  const ok = page.locator('.quick-input-widget .monaco-button', { hasText: 'Choose' });
  await waitFor(async () => {
    if (!(await input.isVisible())) return true;
    if ((await input.inputValue()) !== `${db}/`) await input.fill(`${db}/`);
    await page.waitForTimeout(300);
    if (await ok.isVisible()) await ok.click().catch(() => {});
    return false;
  }, 'the folder dialog accepted', 20000, 200);
  await waitFor(async () => (await database.innerText()).includes('patchdb'), 'the chosen folder shown in the panel', 20000, 100);
  await waitFor(async () => (await canvasStats(canvas)).renders > before.renders && (await canvas.getAttribute('data-method')) === 'patch-replace', 'the patch-replacement image', 120000, 100);
  assert.ok((await canvasStats(canvas)).std > 3, 'the reconstruction is not uniform');
  lap(`path chosen by the host: ${await database.innerText()}; status: ${await status.innerText()}`);
  await shot('path-parameter');
  await choose(wv.locator('#method'), 'lrp-epsilon');
});

test('opening a .onnx shows the model editor with its layers', async () => {
  await runFromPalette('View: Close All Editors');
  const folder = page.locator('.explorer-folders-view .monaco-list-row[aria-label="models"]');
  await folder.click();
  const row = page.locator('.explorer-folders-view .monaco-list-row[aria-label="convnet.onnx"]');
  await row.waitFor();
  await row.dblclick();
  const ed = await webview('Layers (');
  const rows = ed.locator('#layers tr');
  await waitFor(async () => (await rows.count()) > 5, 'layer table rows');
  const text = await ed.locator('#layers').innerText();
  assert.match(text, /Conv/);
  assert.match(await ed.locator('#methods').innerText(), /Guided/i);
  lap(`.onnx editor lists ${(await rows.count()) - 1} layers`);
  await shot('onnx-editor');
  // The gradient check from the editor: the convnet fixture's compiled graphs agree with finite differences.
  await ed.locator('#check-model').click();
  const report = ed.locator('#check-report');
  await waitFor(async () => /agree|Problems|failed/.test(await report.innerText()), 'check report', 120000);
  const verdict = await report.innerText();
  assert.match(verdict, /The compiled graphs agree with the model/, verdict);
  assert.match(verdict, /guided-backprop rules-verified/, verdict);
  lap('.onnx editor check: compiled graphs agree');
  await shot('onnx-editor-check');
});

test('a killed engine process: the next Visualize works', async () => {
  const engines = markerEvents().filter((e) => e.event === 'engine');
  assert.ok(engines.length >= 1, 'an engine process was started');
  const pid = engines.at(-1).pid;
  process.kill(pid, 'SIGKILL');
  await waitFor(() => { try { process.kill(pid, 0); return false; } catch { return true; } }, 'engine gone', 10000);
  lap(`killed engine pid ${pid}`);
  await runFromPalette('View: Close All Editors');
  await visualizeFromExplorer('chelsea.png');
  const v = await webview('Predictions');
  await waitFor(async () => (await canvasStats(v.locator('#heatmap'))).renders >= 1, 'heatmap after the restart', 90000);
  const st = await canvasStats(v.locator('#heatmap'));
  assert.ok(st.std > 5);
  const now = markerEvents().filter((e) => e.event === 'engine');
  assert.ok(now.length > engines.length && now.at(-1).pid !== pid, 'a new engine process started');
  lap(`restarted engine pid ${now.at(-1).pid}; heatmap std ${st.std.toFixed(1)}`);
  await shot('after-restart');
});

test('a segmentation model shows its predicted mask; a dragged box becomes the region of the target', async () => {
  await runFromPalette('View: Close All Editors');
  const ws = path.join(root, 'ws');
  for (const f of ['segnet.onnx', 'segnet.json']) fs.copyFileSync(path.join(repo, 'test/e2e/fixtures', f), path.join(ws, f));
  const row = page.locator('.explorer-folders-view .monaco-list-row[aria-label="segnet.onnx"]');
  await row.waitFor();
  await row.dblclick();
  const ed = await webview('Colour segmenter');
  await ed.locator('#visualize-sample').click();
  const v = await webview("each pixel's predicted class");
  const mask = v.locator('#mask');
  await mask.waitFor();
  const heat = v.locator('#heatmap');
  await waitFor(async () => (await canvasStats(heat)).renders >= 1, 'first heatmap of the segmentation model', 90000);
  assert.ok(Number(await mask.getAttribute('data-classes')) >= 2, 'several classes are present');
  assert.ok((await canvasStats(mask)).std > 5, 'the mask overlay is not uniform');
  assert.match(await v.locator('#legend').innerText(), /warm[\s\S]*dark|dark[\s\S]*warm/);
  await v.locator('.canvases').scrollIntoViewIfNeeded();
  await shot('segmentation-mask');
  const before = await canvasStats(heat);
  const box = await mask.boundingBox();
  await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.5, { steps: 5 });
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.7, { steps: 5 });
  await page.mouse.up();
  await waitFor(async () => (await mask.getAttribute('data-region')) !== null, 'the box is recorded', 10000, 50);
  await waitFor(async () => (await canvasStats(heat)).renders > before.renders && /in region/.test(await v.locator('#status').innerText()), 'heatmap for the box', 60000, 50);
  const after = await canvasStats(heat);
  assert.notEqual(after.hash, before.hash, 'the map for the box differs from the whole-image map');
  lap(`segmentation: box ${await mask.getAttribute('data-region')}; status: ${await v.locator('#status').innerText()}`);
  await shot('segmentation-box');
  await v.locator('#legend .chip', { hasText: 'dark' }).click();
  await waitFor(async () => /class 1 \(dark\) where predicted in region/.test(await v.locator('#status').innerText()), 'class "dark" in the box', 60000, 50);
  lap(`segmentation: legend click → ${await v.locator('#status').innerText()}`);
  await shot('segmentation-class');
});

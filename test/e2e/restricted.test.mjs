// Restricted Mode (issue 11): a cloned repository whose .vscode/settings.json sets an export command, opened
// untrusted. FeatureVis still activates and shows the model; saving a matching file runs nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { lap, markerEvents, page, runFromPalette, shot, startSession, stopSession, waitFor, webview, workspace } from './session.mjs';

const settings = { 'featurevis.exportOnSave': '**/*.txt', 'featurevis.exportCommand': 'touch pwned-by-workspace', 'files.autoSave': 'afterDelay' };
before(() => startSession({ restricted: true, files: { '.vscode/settings.json': JSON.stringify(settings), 'notes.txt': 'hello\n' } }));
after(stopSession);

test('Restricted Mode: the extension activates and the .onnx editor lists the model\'s layers', async () => {
  await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor();
  await page.locator('.explorer-folders-view .monaco-list-row[aria-label="models"]').click();
  const row = page.locator('.explorer-folders-view .monaco-list-row[aria-label="convnet.onnx"]');
  await row.waitFor();
  await row.dblclick();
  const ed = await webview('Layers (').catch(async (e) => { await shot('restricted-failed'); throw e; });
  await waitFor(async () => (await ed.locator('#layers tr').count()) > 5, 'layer table rows');
  assert.match(await ed.locator('#layers').innerText(), /Conv/);
  assert.ok(markerEvents().some((e) => e.event === 'activated'), 'FeatureVis activated in Restricted Mode');
  lap('Restricted Mode: .onnx editor lists layers');
  await shot('restricted-onnx-editor');
});

test('Restricted Mode: saving a file the workspace\'s exportOnSave matches runs no command', async () => {
  await runFromPalette('View: Close All Editors');
  await page.locator('.explorer-folders-view .monaco-list-row[aria-label="notes.txt"]').dblclick();
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.keyboard.type('edited ');
  await page.keyboard.press('Control+S');
  await waitFor(() => fs.readFileSync(path.join(workspace, 'notes.txt'), 'utf8').includes('edited'), 'notes.txt saved', 20000);
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(fs.existsSync(path.join(workspace, 'pwned-by-workspace')), false, 'the workspace command did not run');
  lap('Restricted Mode: save ran no export command');
});

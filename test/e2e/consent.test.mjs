// Export-command consent (issue 11): a trusted workspace whose .vscode/settings.json sets exportCommand and
// exportOnSave. The command runs only after the user allows that exact text in a modal; a changed command asks again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { lap, page, shot, startSession, stopSession, waitFor, workspace } from './session.mjs';

const settings = (command) => JSON.stringify({ 'featurevis.exportOnSave': '**/*.txt', 'featurevis.exportCommand': command });
before(() => startSession({ files: { '.vscode/settings.json': settings('echo first >> ran.log'), 'notes.txt': 'hello\n' } }));
after(stopSession);

const ran = () => { try { return fs.readFileSync(path.join(workspace, 'ran.log'), 'utf8').trim().split('\n'); } catch { return []; } };
const dialog = () => page.locator('.monaco-dialog-box');
async function save(text) {
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.keyboard.type(text);
  await page.keyboard.press('Control+S');
  await waitFor(() => fs.readFileSync(path.join(workspace, 'notes.txt'), 'utf8').includes(text), 'notes.txt saved', 20000);
}

test('a workspace-set export command asks with its text; Cancel runs nothing', async () => {
  // Export-on-save works once FeatureVis is active (its view, a command or an .onnx editor activates it).
  await page.locator('.activitybar .action-item a[aria-label^="FeatureVis"]').click();
  await page.locator('.pane-body .monaco-list-row', { hasText: 'Layers (' }).first().waitFor();
  await page.locator('.activitybar .action-item a[aria-label^="Explorer"]').click();
  await page.locator('.explorer-folders-view .monaco-list-row[aria-label="notes.txt"]').dblclick();
  await save('one ');
  await dialog().waitFor();
  assert.match(await dialog().innerText(), /echo first >> ran\.log/);
  await shot('consent-dialog');
  await dialog().getByRole('button', { name: 'Cancel' }).click();
  await dialog().waitFor({ state: 'hidden' });
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(ran(), [], 'nothing ran');
  lap('consent: Cancel ran nothing');
});

test('a changed command asks again; Allow runs it, and the approval is remembered', async () => {
  fs.writeFileSync(path.join(workspace, '.vscode/settings.json'), settings('echo second >> ran.log'));
  await new Promise((r) => setTimeout(r, 2000)); // the configuration watcher picks the file up
  await save('two ');
  await dialog().waitFor();
  assert.match(await dialog().innerText(), /echo second >> ran\.log/);
  await dialog().getByRole('button', { name: 'Allow' }).click();
  await waitFor(() => ran().length === 1, 'the approved command ran', 20000);
  await save('three ');
  await waitFor(() => ran().length === 2, 'it ran again without asking', 20000);
  assert.equal(await dialog().count(), 0, 'no second prompt');
  assert.deepEqual(ran(), ['second', 'second']);
  lap('consent: Allow ran the command; remembered');
});

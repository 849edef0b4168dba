// First run (issue 14 item 4): the "Get started with FeatureVis" walkthrough renders its steps, its "Open the
// Sample" button opens the bundled photo with the embedded model, the status-bar item follows the engine (hidden,
// starting, running with the method and its progress, idle), steps complete on their events; screenshots of
// the walkthrough, the status bar and the inspector go to E2E_OUT (copied into docs/screenshots by hand).
import { test as nodeTest, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { choose, lap, page, runFromPalette, setChecked, shot, startSession, stopSession, waitFor, webview } from './session.mjs';
import path from 'node:path';

before(startSession);
after(stopSession);

const test = (name, fn) => nodeTest(name, async (t) => {
  try { await fn(t); } catch (e) { await shot(`failed-${name.replace(/\W+/g, '_').slice(0, 40)}`).catch(() => {}); throw e; }
});

const STEPS = ['Open the sample', 'Visualize your own image', 'Compare methods', 'Inspect a layer', 'Use your own model'];
const STEP_ID = (id) => `featurevis.featurevis#getStarted#${id}`;
const status = () => page.locator('.statusbar-item', { hasText: /FeatureVis: / });
const step = (id) => page.locator(`.gettingStartedContainer button.getting-started-step[data-step-id="${STEP_ID(id)}"]`);
const complete = async (id) => (await step(id).locator('[role="checkbox"]').first().getAttribute('aria-checked')) === 'true';
let wv;

test('the walkthrough opens from "FeatureVis: Get Started" and lists its five steps', async () => {
  assert.equal(await status().count(), 0, 'no engine status before the engine first starts');
  // Every status-bar text of ours, in order, from a MutationObserver (the starting and running states are brief).
  await page.evaluate(() => {
    const seen = (window.__fvStatus = []);
    const record = () => {
      for (const el of document.querySelectorAll('.statusbar-item')) {
        const t = el.textContent?.trim() ?? '';
        if (t.startsWith('FeatureVis: ') && seen.at(-1) !== t) seen.push(t);
      }
    };
    new MutationObserver(record).observe(document.querySelector('.part.statusbar'), { subtree: true, childList: true, characterData: true, attributes: true });
  });
  // Open it first: VS Code's walkthrough service counts a step's events only once it is running.
  await page.locator('.activitybar .action-item a[aria-label^="FeatureVis"]').waitFor();
  await runFromPalette('FeatureVis: Get Started');
  const container = page.locator('.gettingStartedContainer');
  await container.locator('.getting-started-category', { hasText: 'Get started with FeatureVis' }).first().waitFor().catch(() => {});
  await waitFor(async () => (await page.locator('.gettingStartedContainer button.getting-started-step').count()) >= STEPS.length, 'walkthrough steps');
  const titles = (await page.locator('.gettingStartedContainer button.getting-started-step .step-title').allInnerTexts()).map((t) => t.trim());
  assert.deepEqual(titles, STEPS);
  // The first step is expanded, with its button and its markdown media (the sample's screenshot).
  const first = step('openSample');
  assert.match(await first.getAttribute('class'), /expanded/);
  await first.locator('.monaco-button', { hasText: 'Open the Sample' }).waitFor();
  // Markdown media render in a webview (outside the walkthrough's DOM): its text and its screenshot.
  await waitFor(async () => {
    const frames = page.locator('iframe.webview.ready');
    for (let i = 0; i < await frames.count(); i++) {
      const inner = frames.nth(i).contentFrame().locator('iframe#active-frame').contentFrame();
      const body = inner.locator('body');
      if (!(await body.count()) || !/bundled/.test((await body.textContent({ timeout: 1000 })) ?? '')) continue;
      return inner.locator('img').first().evaluate((img) => img.complete && img.naturalWidth > 100);
    }
    return false;
  }, 'the step\'s markdown media with its image', 30000, 250);
  assert.equal(await complete('openSample'), false);
  lap(`walkthrough steps: ${titles.join(' · ')}`);
  await shot('walkthrough');
});

test('"Open the Sample" shows the bundled photo explained by the embedded model; the status bar follows the engine', async () => {
  await step('openSample').locator('.monaco-button', { hasText: 'Open the Sample' }).click();
  wv = await webview('Predictions', 90000);
  await waitFor(async () => Number(await wv.locator('#heatmap').getAttribute('data-renders')) >= 1, 'the first map', 120000);
  assert.match(await wv.locator('#predictions').innerText(), /cat|tabby/i);
  assert.match(await wv.locator('body').innerText(), /EfficientNet/i, 'the embedded model');
  await waitFor(async () => (await status().first().innerText()).includes('FeatureVis: idle'), 'status bar idle', 60000);
  const seen = await page.evaluate(() => window.__fvStatus);
  assert.equal(seen[0], 'FeatureVis: starting engine', `first state: ${seen.join(' → ')}`);
  assert.ok(seen.some((t) => t.startsWith('FeatureVis: guided-backprop')), `the run was shown by its method: ${seen.join(' → ')}`);
  assert.equal(seen.at(-1), 'FeatureVis: idle');
  lap(`status bar: ${seen.join(' → ')}`);
  await runFromPalette('FeatureVis: Get Started');
  await waitFor(() => complete('openSample'), 'step "Open the sample" checked', 20000);
});

test('ticking the method grid completes "Compare methods"; a long run shows its progress in the status bar', async () => {
  await runFromPalette('View: Close All Editors');
  await runFromPalette('FeatureVis: Open Sample Image');
  wv = await webview('Predictions', 90000);
  await waitFor(async () => Number(await wv.locator('#heatmap').getAttribute('data-renders')) >= 1, 'the first map', 120000);
  await setChecked(wv.locator('#method-grid'), true);
  const cells = wv.locator('.cell canvas.cell-canvas');
  await waitFor(async () => (await cells.count()) >= 3, 'grid cells');
  await waitFor(async () => (await wv.locator('.cell canvas.cell-canvas[data-rendered="1"]').count()) === await cells.count(), 'grid rendered', 120000, 250);
  await setChecked(wv.locator('#method-grid'), false);
  await page.evaluate(() => { window.__fvStatus.length = 0; });
  await choose(wv.locator('#method'), 'occlusion');
  const item = status().first();
  const text = await waitFor(async () => { const t = await item.innerText(); return /FeatureVis: occlusion \d+%/.test(t) && t; }, 'occlusion progress in the status bar', 60000, 50);
  await item.hover();
  // The tooltip lists the run with its progress message; wait out its fade-in.
  await page.locator('.monaco-hover, .workbench-hover', { hasText: 'is running' }).first().waitFor({ timeout: 10000 }).then(() => page.waitForTimeout(800), () => {});
  const bar = await page.locator('.part.statusbar').boundingBox();
  await page.screenshot({ path: path.join(process.env.E2E_OUT || 'test/e2e/out', 'statusbar.png'), clip: { x: 0, y: bar.y - 160, width: 700, height: 160 + bar.height } });
  lap(`status bar while occluding: ${text}`);
  await runFromPalette('FeatureVis: Get Started');
  await waitFor(() => complete('compareMethods'), 'step "Compare methods" checked', 20000);
});

test('the inspector completes "Inspect a layer" and lists a layer\'s units', async () => {
  await page.locator('.activitybar .action-item a[aria-label^="FeatureVis"]').click();
  const rows = page.locator('.pane-body .monaco-list-row');
  const conv = rows.filter({ hasText: 'Conv [' }).first();
  await conv.waitFor({ timeout: 60000 });
  await conv.click();
  await page.keyboard.press('ArrowRight');
  await waitFor(async () => (await rows.filter({ hasText: /^unit \d+/ }).count()) > 3, 'units of a layer', 30000);
  await waitFor(() => complete('inspectLayer'), 'step "Inspect a layer" checked', 20000);
  // The picture for the README: the units beside the sample's panel.
  await runFromPalette('View: Close All Editors');
  await runFromPalette('FeatureVis: Open Sample Image');
  wv = await webview('Predictions', 90000);
  await waitFor(async () => Number(await wv.locator('#heatmap').getAttribute('data-renders')) >= 1, 'the first map', 120000);
  lap('inspector: a conv layer expanded into units; step checked');
  await shot('inspector-units');
});

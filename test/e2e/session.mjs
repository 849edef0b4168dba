// The e2e session: a private code-server with the built .vsix, a headless Chromium on it, and the helpers the
// tests drive it with (webviews, the command palette, canvases, vscode-elements controls). Live bindings: `page`
// and `root` are set by startSession().
// Env (set by run.sh from $E2E_HOME/env.sh): CODE_SERVER, CS_NODE, PW, VSIX; E2E_OUT (default test/e2e/out).
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
export const repo = path.resolve(here, '../..');
const CODE_SERVER = process.env.CODE_SERVER;
const CS_NODE = process.env.CS_NODE || process.execPath;
const VSIX = process.env.VSIX || path.join(repo, 'featurevis.vsix');
const OUT = process.env.E2E_OUT || path.join(here, 'out');
const require = createRequire(import.meta.url);
const { chromium } = require(process.env.PW || 'playwright-core');
const EXT_ID = 'featurevis.featurevis';

const t0 = Date.now();
export const lap = (what) => console.log(`[e2e +${((Date.now() - t0) / 1000).toFixed(2)}s] ${what}`);
let server, browser, base, marker;
export let page, root, workspace;
export const shot = (name) => page.screenshot({ path: path.join(OUT, `${name}.png`) });
/** A screenshot of the visible FeatureVis webview only (for docs/screenshots). */
export async function shotPanel(name) {
  const frames = page.locator(`iframe.webview.ready[src*="extensionId=${EXT_ID}"]`);
  for (let i = 0; i < await frames.count(); i++) {
    const box = await frames.nth(i).boundingBox();
    if (box && box.width > 0) { await page.screenshot({ path: path.join(OUT, `${name}.png`), clip: box }); return; }
  }
  await shot(name);
}

function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
    s.on('error', rej);
  });
}

export async function waitFor(fn, what, timeoutMs = 60000, everyMs = 100) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try { const v = await fn(); if (v) return v; } catch (e) { last = e; }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const markerEvents = () => (fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);

/**
 * `restricted`: workspace trust on and the folder untrusted (Restricted Mode); `files`: extra workspace files
 * (path relative to the workspace → content).
 */
export async function startSession({ restricted = false, files = {} } = {}) {
  assert.ok(CODE_SERVER && fs.existsSync(CODE_SERVER), 'CODE_SERVER not set: run through test/e2e/run.sh after npm run test:e2e:setup');
  fs.mkdirSync(OUT, { recursive: true });
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-e2e-'));
  const dataDir = path.join(root, 'data'), extDir = path.join(root, 'ext'), ws = path.join(root, 'ws');
  workspace = ws;
  marker = path.join(root, 'marker.jsonl');
  fs.mkdirSync(path.join(dataDir, 'User'), { recursive: true });
  fs.mkdirSync(path.join(ws, 'models'), { recursive: true });
  fs.copyFileSync(path.join(repo, 'assets/samples/chelsea.png'), path.join(ws, 'chelsea.png'));
  fs.copyFileSync(path.join(repo, 'test/fixtures/convnet/model.onnx'), path.join(ws, 'models', 'convnet.onnx'));
  for (const [f, text] of Object.entries(files)) { fs.mkdirSync(path.dirname(path.join(ws, f)), { recursive: true }); fs.writeFileSync(path.join(ws, f), text); }
  fs.writeFileSync(path.join(dataDir, 'User', 'settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none', 'workbench.tips.enabled': false, 'workbench.enableExperiments': false,
    'telemetry.telemetryLevel': 'off', 'update.mode': 'none', 'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false, 'extensions.ignoreRecommendations': true,
    'security.workspace.trust.enabled': restricted, 'security.workspace.trust.startupPrompt': 'never',
    'security.workspace.trust.emptyWindow': false, 'git.enabled': false, 'chat.disableAIFeatures': true,
    'workbench.secondarySideBar.defaultVisibility': 'hidden', 'featurevis.defaultMethod': 'guided-backprop',
  }, null, 2));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const cfg = path.join(root, 'config.yaml');
  fs.writeFileSync(cfg, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const common = ['--config', cfg, '--user-data-dir', dataDir, '--extensions-dir', extDir];
  fs.mkdirSync(path.join(root, 'tmp'));
  const serverEnv = { ...process.env, TMPDIR: path.join(root, 'tmp'), XDG_RUNTIME_DIR: path.join(root, 'tmp'),
    XDG_DATA_HOME: path.join(root, 'xdg-data'), XDG_CONFIG_HOME: path.join(root, 'xdg-config'), XDG_CACHE_HOME: path.join(root, 'xdg-cache') };
  execFileSync(CS_NODE, [CODE_SERVER, ...common, '--install-extension', VSIX], { stdio: 'pipe', env: serverEnv });
  lap(`installed ${path.basename(VSIX)}`);
  const log = fs.openSync(path.join(OUT, 'code-server.log'), 'w');
  server = spawn(CS_NODE, [CODE_SERVER, ...common, '--disable-telemetry', '--disable-update-check',
    ...(restricted ? [] : ['--disable-workspace-trust']), '--disable-getting-started-override', '--ignore-last-opened', ws], {
    stdio: ['ignore', log, log], detached: true,
    env: { ...serverEnv, FEATUREVIS_E2E_MARKER: marker, EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: 'http://127.0.0.1:9/gallery', itemUrl: 'http://127.0.0.1:9/item' }) },
  });
  await waitFor(async () => (await fetch(`${base}/healthz`)).ok, 'code-server /healthz', 60000);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    env: { ...process.env, TMPDIR: path.join(root, 'tmp') },
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(60000);
  await page.goto(`${base}/?folder=${encodeURIComponent(ws)}`);
  await page.locator('.monaco-workbench').waitFor();
  await page.locator('.explorer-folders-view .monaco-list-row[aria-label="chelsea.png"]').waitFor();
  lap('workbench up, explorer shows chelsea.png');
}

export async function stopSession() {
  if (browser) await browser.close().catch(() => {});
  if (server && server.exitCode === null) {
    try { process.kill(-server.pid, 'SIGTERM'); } catch { /* gone */ }
    await waitFor(() => { try { process.kill(-server.pid, 0); return false; } catch { return true; } }, 'server exit', 15000)
      .catch(() => { try { process.kill(-server.pid, 'SIGKILL'); } catch {} });
  }
  // Engine processes are children of the extension host and exit on disconnect; make sure none is left.
  for (const e of markerEvents().filter((x) => x.event === 'engine')) { try { process.kill(e.pid, 'SIGKILL'); } catch {} }
  if (root) fs.rmSync(root, { recursive: true, force: true });
  lap('teardown done');
}

/** Inner content frame of our webview whose body text contains `hasText`. */
export async function webview(hasText, timeoutMs = 60000) {
  const outer = page.locator(`iframe.webview.ready[src*="extensionId=${EXT_ID}"]`);
  return waitFor(async () => {
    for (let i = 0; i < await outer.count(); i++) {
      if (!(await outer.nth(i).isVisible())) continue;
      const inner = outer.nth(i).contentFrame().locator('iframe#active-frame').contentFrame();
      const body = inner.locator('body');
      if ((await body.count()) && ((await body.textContent({ timeout: 1000 })) ?? '').includes(hasText)) return inner;
    }
    return null;
  }, `webview containing "${hasText}"`, timeoutMs, 200).catch(async (e) => { await shot(`failure-${hasText.replace(/\W+/g, '_')}`); throw e; });
}

export async function runFromPalette(title) {
  const input = page.locator('.quick-input-widget input[type="text"]');
  // The palette lists the commands known when it opens: right after start-up an extension's may not be yet.
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    await input.waitFor();
    await input.fill(`>${title}`);
    try { await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: attempt < 4 ? 15000 : 60000 }); break; } catch (e) {
      if (attempt === 4) throw e;
    }
  }
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden' });
}

export async function clickContextMenuItem(label) {
  const menu = page.locator('.context-view .monaco-menu');
  const item = menu.locator('.action-item', { hasText: label });
  for (let attempt = 1; ; attempt++) {
    await item.waitFor();
    await page.waitForTimeout(250);
    await item.click();
    try { await menu.waitFor({ state: 'hidden', timeout: 2000 }); return; } catch (e) {
      if (attempt === 3) throw new Error(`context-menu item "${label}" did not run after 3 clicks`);
    }
  }
}

export async function visualizeFromExplorer(file) {
  const row = page.locator(`.explorer-folders-view .monaco-list-row[aria-label="${file}"]`);
  await row.click({ button: 'right' });
  await clickContextMenuItem('FeatureVis: Visualize');
}

/** Pixel statistics of a canvas inside the webview: standard deviation of luminance and a content hash. */
export const canvasStats = (locator) => locator.evaluate((c) => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let s = 0, s2 = 0, hash = 0;
  const n = d.length / 4;
  for (let i = 0; i < d.length; i += 4) {
    const l = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
    s += l; s2 += l * l;
    hash = (hash * 31 + d[i] * 7 + d[i + 1] * 3 + d[i + 2]) | 0;
  }
  return { std: Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2)), hash, renders: Number(c.dataset.renders || 0) };
});

/** Picks a value in a vscode-single-select as its own 'change' would report it. */
export const choose = (locator, value) => locator.evaluate((el, v) => {
  if (![...el.querySelectorAll('vscode-option')].some((o) => o.value === v)) throw new Error(`${el.id} has no option ${v}`);
  el.value = v;
  el.dispatchEvent(new Event('change'));
}, value);
/** Sets a vscode-checkbox by clicking it (its shadow label toggles it) when it is not already in that state. */
export async function setChecked(locator, on) {
  if ((await locator.evaluate((el) => el.checked)) !== on) await locator.click();
  await waitFor(async () => (await locator.evaluate((el) => el.checked)) === on, `${await locator.getAttribute('id')} ${on ? 'checked' : 'unchecked'}`, 5000, 50);
}
/** Pixels of two same-size canvases: the mean absolute difference per channel. */
export const canvasDiff = async (a, b) => a.evaluate((x, y) => {
  const p = x.getContext('2d').getImageData(0, 0, x.width, x.height).data, q = y.getContext('2d').getImageData(0, 0, y.width, y.height).data;
  if (p.length !== q.length) return Infinity;
  let d = 0;
  for (let i = 0; i < p.length; i++) if (i % 4 !== 3) d += Math.abs(p[i] - q[i]);
  return d / (p.length * 0.75);
}, await b.elementHandle());

// The "VS Code executable" that test/extension-host/run.mjs hands to @vscode/test-electron's runTests (through
// shim.sh): runs the extension's Mocha suite (a module exporting run()) inside code-server's real Node extension
// host, the extension loaded from its folder via extensionDevelopmentPath (no .vsix). The workbench URL's `payload`
// carries extensionDevelopmentPath/extensionTestsPath; when the tests settle the workbench calls
// window.codeAutomationExit(code), exposed with Playwright (how test/e2e/setup.sh installs code-server: see there).
// Env: CODE_SERVER, CS_NODE, PW (from $E2E_HOME/env.sh), E2E_OUT; FV_HOST_RESTRICTED=1: workspace trust on and the
// folder untrusted (Restricted Mode).
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import util from 'node:util';

const here = path.dirname(new URL(import.meta.url).pathname);
const CODE_SERVER = process.env.CODE_SERVER || path.join(here, 'cs/node_modules/code-server/out/node/entry.js');
const CS_NODE = process.env.CS_NODE || process.execPath;
// Also accepts VS Code's own CLI flags, so that @vscode/test-electron's runTests({ vscodeExecutablePath })
// can launch this script (through code-shim.sh) as if it were VS Code:
//   --extensionDevelopmentPath=DIR (repeatable)  --extensionTestsPath=FILE  [folder]   (other flags are ignored)
const argv = process.argv.slice(2);
const flag = (name) => argv.filter((a) => a.startsWith(`--${name}=`)).map((a) => a.slice(name.length + 3));
const DEV_PATHS = flag('extensionDevelopmentPath').map((p) => path.resolve(p));
const EXT_SRC = DEV_PATHS[0] || path.resolve(here, '../..');
const TESTS = path.resolve(flag('extensionTestsPath')[0] || path.join(EXT_SRC, 'test/suite/index.js'));
const FOLDER = argv.find((a) => !a.startsWith('-'));
const OUT = process.env.E2E_OUT || path.join(here, '../e2e/out');
const RESTRICTED = process.env.FV_HOST_RESTRICTED === '1';
const { chromium } = createRequire(import.meta.url)(process.env.PW || 'playwright-core');
const t0 = Date.now();
const lap = (w) => console.log(`[host +${((Date.now() - t0) / 1000).toFixed(2)}s] ${w}`);

const port = await new Promise((res) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-host-cs-'));
const dataDir = path.join(root, 'data'), ws = path.join(root, 'ws');
fs.mkdirSync(path.join(dataDir, 'User'), { recursive: true });
fs.mkdirSync(OUT, { recursive: true });
const folder = FOLDER ? path.resolve(FOLDER) : ws;
if (!FOLDER) fs.mkdirSync(ws);
fs.writeFileSync(path.join(dataDir, 'User', 'settings.json'), JSON.stringify({
  'workbench.startupEditor': 'none', 'workbench.tips.enabled': false, 'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off', 'update.mode': 'none', 'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false, 'extensions.ignoreRecommendations': true, 'security.workspace.trust.enabled': RESTRICTED,
  'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.emptyWindow': false,
  'git.enabled': false, 'chat.disableAIFeatures': true, 'workbench.secondarySideBar.defaultVisibility': 'hidden',
}, null, 2));
const cfg = path.join(root, 'config.yaml');
fs.writeFileSync(cfg, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
// Keep code-server's and Chromium's stray files (heartbeat, logs, IPC sockets, temp dirs) inside `root`.
fs.mkdirSync(path.join(root, 'tmp'));
const isolate = { TMPDIR: path.join(root, 'tmp'), XDG_RUNTIME_DIR: path.join(root, 'tmp'), XDG_DATA_HOME: path.join(root, 'xdg-data'),
  XDG_CONFIG_HOME: path.join(root, 'xdg-config'), XDG_CACHE_HOME: path.join(root, 'xdg-cache') };
const serverLog = fs.openSync(path.join(OUT, `code-server-host${RESTRICTED ? '-restricted' : ''}.log`), 'w');
const server = spawn(CS_NODE, [CODE_SERVER, '--config', cfg, '--user-data-dir', dataDir, '--extensions-dir', path.join(root, 'ext'),
  '--disable-telemetry', '--disable-update-check', ...(RESTRICTED ? [] : ['--disable-workspace-trust']), '--disable-getting-started-override', '--ignore-last-opened'],
{ stdio: ['ignore', serverLog, serverLog], detached: true,
  // Point the extension gallery at a closed loopback port: no DNS look-ups for open-vsx.org.
  env: { ...process.env, ...isolate, EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: 'http://127.0.0.1:9/gallery', itemUrl: 'http://127.0.0.1:9/item' }) } });
let code = 1, browser, summary = null;
try {
  for (let i = 0; ; i++) {
    try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break; } catch {}
    if (i > 600 || server.exitCode !== null) throw new Error(`code-server did not start, see ${path.join(OUT, 'code-server-host.log')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  lap(`code-server up on ${port}`);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'], env: { ...process.env, TMPDIR: isolate.TMPDIR } });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  // Extension-host console output is forwarded to the page console as ('%c INFO', 'color: …', fmt, ...args):
  // rebuild the original line with util.format and print the test reporter's lines.

  page.on('console', async (m) => {
    let vals;
    try { vals = await Promise.all(m.args().map((a) => a.jsonValue())); } catch { vals = [m.text()]; }
    if (typeof vals[0] === 'string' && vals[0].startsWith('%c')) vals = vals.slice(2);
    const line = util.format(...vals);
    // A test may ask for a picture of the workbench: console.log('[fv-host] screenshot <name>').
    const shot = /^\[fv-host\] screenshot ([\w-]+)$/.exec(line);
    if (shot) await page.screenshot({ path: path.join(OUT, `host-${shot[1]}.png`) }).catch(() => {});
    // Mocha's reporter ends with "N passing" [and "N failing"].
    const pass = /^\s*(\d+) passing/.exec(line), fail = /^\s*(\d+) failing/.exec(line);
    if (pass) summary = { passed: +pass[1], failed: 0 };
    if (fail) summary = { passed: summary ? summary.passed : 0, failed: +fail[1] };
    if (/✔|✓|^\s*\d+\) |Error|failing|passing|passed|\[fv-host\]|^\s+at |expected|actual/.test(line)) console.log('  [ext host] ' + line.slice(0, 400));
  });
  let exit; const exited = new Promise((r) => { exit = r; });
  await page.exposeFunction('codeAutomationExit', (c) => exit(c));
  // The workbench's remote authority: 4.100.x uses the page's host:port, 4.139.x the literal "remote".
  // Read it from the page's vscode-workbench-web-configuration meta tag instead of guessing.
  const html = await (await fetch(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`)).text();
  const authority = /&quot;remoteAuthority&quot;:&quot;([^&]+)&quot;/.exec(html)?.[1];
  if (!authority) throw new Error('remoteAuthority not found in workbench page');
  const remote = (p) => `vscode-remote://${authority}${p}`;
  const payload = [...(DEV_PATHS.length ? DEV_PATHS : [EXT_SRC]).map((p) => ['extensionDevelopmentPath', remote(p)]),
    ['extensionTestsPath', remote(TESTS)]];
  // Newer built workbenches (seen in 1.139; 1.100 did not need it) ignore these payload keys unless
  // developmentOptions.enableSmokeTestDriver is set (VS Code server's --enable-smoke-test-driver, a flag that
  // code-server's CLI rejects). Set it in the page's configuration <meta> as the parser inserts it, before
  // workbench.js reads it. (Rewriting the HTML with page.route/fulfill instead makes Chromium block the
  // page's WebSockets to 127.0.0.1 with ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS.)
  await page.addInitScript(() => {
    if (window.top !== window) return;
    const obs = new MutationObserver(() => {
      const el = document.getElementById('vscode-workbench-web-configuration');
      if (!el || !el.hasAttribute('data-settings')) return;
      const cfg = JSON.parse(el.getAttribute('data-settings'));
      cfg.developmentOptions = { ...(cfg.developmentOptions || {}), enableSmokeTestDriver: true };
      el.setAttribute('data-settings', JSON.stringify(cfg));
      obs.disconnect();
    });
    obs.observe(document, { childList: true, subtree: true });
  });
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
  code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 180000))]);
  lap(`tests finished, exit code ${code}`);
  await page.screenshot({ path: path.join(OUT, `extension-host${RESTRICTED ? '-restricted' : ''}.png`) }).catch(() => {});
} finally {
  if (browser) await browser.close().catch(() => {});
  // code-server was started as its own process group (detached): stop the whole group, wait, then clean up.
  const alive = () => { try { process.kill(-server.pid, 0); return true; } catch { return false; } };
  try { process.kill(-server.pid, 'SIGTERM'); } catch {}
  for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive()) { try { process.kill(-server.pid, 'SIGKILL'); } catch {} }
  // The server's logs (extension host included) outlive the run for diagnosis: $E2E_OUT/host-logs[-restricted]/.
  const logs = path.join(dataDir, 'logs'), keep = path.join(OUT, `host-logs${RESTRICTED ? '-restricted' : ''}`);
  fs.rmSync(keep, { recursive: true, force: true });
  if (fs.existsSync(logs)) fs.cpSync(logs, keep, { recursive: true });
  fs.rmSync(root, { recursive: true, force: true });
}
// One plain closing line for CI logs.
console.log(summary && (code === 0) === (summary.failed === 0) ? `host: ${summary.passed} passed, ${summary.failed} failed`
  : `host: ${summary ? summary.passed : 0} passed, ${Math.max(1, summary ? summary.failed : 1)} failed (exit code ${code})`);
process.exit(code === 0 ? 0 : 1);

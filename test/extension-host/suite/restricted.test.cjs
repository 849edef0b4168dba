/* eslint-disable @typescript-eslint/no-require-imports -- the extension host loads test modules as CommonJS, and `vscode` is only reachable by require */
// Restricted Mode in the extension host (run by ../run.mjs with workspace trust on and the folder untrusted). The
// workspace's .vscode/settings.json asks to run `touch pwned-by-workspace` on save of *.txt.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vscode = require('vscode');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('FeatureVis in Restricted Mode', function () {
  let api;
  before(async () => { api = await vscode.extensions.getExtension('featurevis.featurevis').activate(); });

  it('the workspace is untrusted and FeatureVis still explains its model', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    const model = path.join(vscode.workspace.workspaceFolders[0].uri.fsPath, 'models', 'convnet.onnx');
    const r = await api.explain(path.join(vscode.workspace.workspaceFolders[0].uri.fsPath, 'chelsea.png'), 'gradient', model);
    assert.equal(r.relevance.dims.length, 4);
  });

  it('the workspace\'s export command is refused on save', async () => {
    const folder = vscode.workspace.workspaceFolders[0].uri;
    // Restricted settings are not read from an untrusted workspace.
    assert.equal(vscode.workspace.getConfiguration('featurevis').get('exportCommand'), '');
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder, 'notes.txt'));
    await vscode.window.showTextDocument(doc);
    const n = api.recentLog().length;
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, new vscode.Position(0, 0), 'edited ');
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(await doc.save());
    assert.match(fs.readFileSync(doc.uri.fsPath, 'utf8'), /^edited hello/);
    await sleep(2000);
    assert.equal(fs.existsSync(path.join(folder.fsPath, 'pwned-by-workspace')), false, 'the command did not run');
    assert.ok(!api.recentLog().slice(n).some((l) => /running: touch/.test(l)), 'no export was started');
  });
});

/* eslint-disable @typescript-eslint/no-require-imports -- the extension host loads test modules as CommonJS, and `vscode` is only reachable by require */
// Extension-host tests (Mocha, `vscode` API, real Node extension host of code-server; run by ../run.mjs). The
// workspace holds chelsea.png, models/convnet.onnx and pytorch-cnn/ (the example's model.py and dynamo export).
// Each contributed command is run and its effect checked; the first test fails for a command added without one.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vscode = require('vscode');

const EXT_ID = 'featurevis.featurevis';
const ws = () => vscode.workspace.workspaceFolders[0].uri;
const photo = () => vscode.Uri.joinPath(ws(), 'chelsea.png');
const convnet = () => vscode.Uri.joinPath(ws(), 'models', 'convnet.onnx');
const info = (api) => api.engine.request({ method: 'engine/info' }, {});
const example = () => vscode.Uri.joinPath(ws(), 'pytorch-cnn', 'model.dynamo.onnx');
const modelPy = () => vscode.Uri.joinPath(ws(), 'pytorch-cnn', 'model.py');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(fn, what, ms = 30000) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try { const v = await fn(); if (v) return v; } catch (e) { last = e; }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? ` (${last.message})` : ''}`);
    await sleep(100);
  }
}
const tabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs);
const closeAll = () => vscode.commands.executeCommand('workbench.action.closeAllEditors');
const tabLabeled = (re) => waitFor(() => tabs().find((t) => re.test(t.label)), `a tab labelled ${re}`);
const tabNamed = (label) => waitFor(() => tabs().find((t) => t.label === label), `a tab labelled '${label}'`);
const logSince = (api, n) => api.recentLog().slice(n).join('\n');

describe('FeatureVis in the extension host', function () {
  let api;
  before(async () => {
    const ext = vscode.extensions.getExtension(EXT_ID);
    assert.ok(ext, `${EXT_ID} is loaded`);
    api = await ext.activate();
    assert.ok(api.engine && api.inspector && typeof api.explain === 'function', 'activate returns the API');
  });
  afterEach(closeAll);

  it('registers every command that package.json contributes', async () => {
    const contributed = vscode.extensions.getExtension(EXT_ID).packageJSON.contributes.commands.map((c) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(contributed.filter((c) => !registered.has(c)), []);
    // Each contributed command is run by name somewhere in this file (and its effect checked there).
    const tested = fs.readFileSync(__filename, 'utf8');
    assert.deepEqual(contributed.filter((c) => !tested.includes(`executeCommand('${c}'`)), [], 'every contributed command is run in this file');
  });

  it('featurevis.visualize, featurevis.visualizeFile and featurevis.openSample open a Visualize panel', async () => {
    await vscode.commands.executeCommand('featurevis.visualize', photo());
    const t = await tabLabeled(/^Visualize: chelsea\.png$/);
    assert.ok(t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('featurevis.visualize'), `webview tab ${t.input?.viewType}`);
    await closeAll();
    await vscode.commands.executeCommand('featurevis.visualizeFile', photo());
    await tabLabeled(/^Visualize: chelsea\.png$/);
    await closeAll();
    await vscode.commands.executeCommand('featurevis.openSample');
    await tabLabeled(/^Visualize: chelsea\.png$/);
    // A file that is not an image is refused with a logged error, and no panel opens.
    await closeAll();
    const n = api.recentLog().length;
    // Not awaited: the command's error notification stays open until dismissed.
    void vscode.commands.executeCommand('featurevis.visualize', convnet());
    await waitFor(() => /convnet\.onnx is not an image FeatureVis reads/.test(logSince(api, n)), 'the refusal in the log', 10000);
    assert.equal(tabs().filter((x) => /^Visualize:/.test(x.label)).length, 0);
  });

  it('the .onnx custom editor opens (vscode.openWith) and the inspector lists its layers', async () => {
    await vscode.commands.executeCommand('vscode.openWith', convnet(), 'featurevis.onnxPreview');
    const t = await tabLabeled(/^convnet\.onnx$/);
    assert.ok(t.input instanceof vscode.TabInputCustom && t.input.viewType === 'featurevis.onnxPreview');
    await waitFor(() => api.inspector.currentModel() === convnet().fsPath, 'the inspector following the editor');
    const [root] = await api.inspector.getChildren();
    assert.equal(root.kind, 'model');
    assert.ok(root.summary, `summary loaded (${root.error})`);
    const layersGroup = (await api.inspector.getChildren(root)).find((n) => n.kind === 'group' && n.id === 'layers');
    const layers = await api.inspector.getChildren(layersGroup);
    assert.ok(layers.some((l) => l.layer.op === 'Conv'), `Conv layers listed: ${layers.map((l) => l.layer.op).join(',')}`);
    assert.ok(!api.recentLog().some((l) => l.startsWith('[onnx editor]')), 'the editor\'s init did not fail');
    await closeAll();
    await waitFor(() => api.inspector.currentModel() === undefined, 'the inspector back on the default model once the editor closed');
  });

  it('featurevis.inspectModel and featurevis.inspectModelFile open the model editor and the inspector view', async () => {
    const check = async (cmd) => {
      const t = await tabLabeled(/^convnet\.onnx$/);
      assert.equal(t.input.viewType, 'featurevis.onnxPreview', cmd);
      await waitFor(() => api.inspector.currentModel() === convnet().fsPath, `${cmd}: inspector follows`);
      await closeAll();
      await waitFor(() => api.inspector.currentModel() === undefined, `${cmd}: inspector back on the default model`);
    };
    await vscode.commands.executeCommand('featurevis.inspectModel', convnet());
    await check('featurevis.inspectModel');
    await vscode.commands.executeCommand('featurevis.inspectModelFile', convnet());
    await check('featurevis.inspectModelFile');
  });

  it('the inspector tree (embedded model) resolves models, groups, layers, units and their parents', async () => {
    await waitFor(() => api.inspector.currentModel() === undefined, 'default model');
    const ins = api.inspector;
    const [root] = await ins.getChildren();
    assert.equal(ins.getTreeItem(root).label, root.summary.name);
    assert.match(ins.getTreeItem(root).description, /opset \d+ · [\d.]+ M params/);
    const groups = await ins.getChildren(root);
    assert.deepEqual(groups.map((g) => g.id), ['io', 'layers']);
    for (const g of groups) assert.equal(ins.getParent(g), root);
    const io = await ins.getChildren(groups[0]);
    assert.ok(io.some((n) => /^input /.test(n.label)) && io.some((n) => /^output /.test(n.label)));
    assert.deepEqual(ins.getParent(io[0]), { kind: 'group', id: 'io' });
    const layers = await ins.getChildren(groups[1]);
    assert.match(ins.getTreeItem(groups[1]).label, new RegExp(`^Layers \\(${layers.length}\\)$`));
    const wide = layers.find((l) => l.layer.shape[1] > 64 && l.layer.shape.length === 4);
    assert.ok(wide, 'a layer with more than 64 channels');
    assert.deepEqual(ins.getParent(wide), { kind: 'group', id: 'layers' });
    const item = ins.getTreeItem(wide);
    assert.equal(item.label, wide.layer.tensor);
    assert.equal(item.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    const units = await ins.getChildren(wide);
    assert.equal(units.length, 65, '64 units and "show more"');
    assert.deepEqual(units.slice(0, 3).map((u) => ins.getTreeItem(u).label), ['unit 0', 'unit 1', 'unit 2']);
    assert.equal(ins.getTreeItem(units[5]).contextValue, 'unit');
    assert.equal(ins.getParent(units[5]).layer.tensor, wide.layer.tensor, 'a unit\'s parent is its layer');
    const more = units[64];
    assert.equal(more.kind, 'more');
    assert.equal(ins.getTreeItem(more).command.command, 'featurevis.inspector.moreUnits');
    // featurevis.inspector.moreUnits: the layer lists more units.
    await vscode.commands.executeCommand('featurevis.inspector.moreUnits', more);
    const after = await ins.getChildren(wide);
    assert.equal(after.filter((u) => u.kind === 'unit').length, Math.min(wide.layer.shape[1], 64 + 256));
    // featurevis.inspector.refresh: the tree is reloaded (an event, and a fresh model node from the engine).
    let fired = 0;
    const sub = ins.onDidChangeTreeData(() => fired++);
    await vscode.commands.executeCommand('featurevis.inspector.refresh');
    sub.dispose();
    assert.equal(fired, 1);
    const [root2] = await ins.getChildren();
    assert.notEqual(root2, root);
    assert.equal(root2.summary.name, root.summary.name);
    assert.equal((await ins.getChildren(wide)).length, 65, 'refresh forgets "show more"');
  });

  it('featurevis.useAsTarget on an inspector unit opens a panel; featurevis.showFilters shows the first conv\'s filters', async () => {
    const [root] = await api.inspector.getChildren();
    const layers = await api.inspector.getChildren((await api.inspector.getChildren(root))[1]);
    const conv = layers.find((l) => l.firstConv);
    const [unit] = await api.inspector.getChildren(conv);
    await vscode.commands.executeCommand('featurevis.useAsTarget', unit);
    await tabLabeled(/^Visualize: chelsea\.png$/);
    assert.deepEqual(api.visualizePanels().map((p) => p.target), [{ kind: 'unit', tensor: conv.layer.tensor, channel: 0 }]);
    // With a panel open, another unit retargets that panel instead of opening one.
    const [, unit1] = await api.inspector.getChildren(conv);
    await vscode.commands.executeCommand('featurevis.useAsTarget', unit1);
    assert.deepEqual(api.visualizePanels().map((p) => p.target), [{ kind: 'unit', tensor: conv.layer.tensor, channel: 1 }]);
    await vscode.commands.executeCommand('featurevis.showFilters');
    const f = await tabLabeled(/^Filters: /);
    assert.match(f.label, /\(default model\)$/);
    // Without a unit the command refuses (logged), opening nothing.
    await closeAll();
    const n = api.recentLog().length;
    void vscode.commands.executeCommand('featurevis.useAsTarget');
    await waitFor(() => /pick a unit in the FeatureVis inspector/.test(logSince(api, n)), 'the refusal in the log', 10000);
  });

  it('Visualize through the API: a gradient map of the photo on the embedded model, input-shaped and not constant', async () => {
    const r = await api.explain(photo().fsPath, 'gradient');
    assert.equal(r.method, 'gradient');
    assert.deepEqual(r.relevance.dims, [1, 3, 224, 224]);
    const d = r.relevance.data;
    assert.equal(d.length, 3 * 224 * 224);
    let min = Infinity, max = -Infinity;
    for (const v of d) { assert.ok(Number.isFinite(v)); if (v < min) min = v; if (v > max) max = v; }
    assert.ok(max - min > 1e-6, `map range ${min}..${max}`);
    assert.ok(Number.isFinite(r.targetValue[0]));
  });

  it('featurevis.showLog reveals the FeatureVis output channel', async () => {
    await vscode.commands.executeCommand('workbench.action.closePanel');
    await vscode.commands.executeCommand('featurevis.showLog');
    await waitFor(() => vscode.window.visibleTextEditors.some((e) => e.document.uri.scheme === 'output' && /FeatureVis/i.test(e.document.uri.toString()))
      || vscode.workspace.textDocuments.some((d) => d.uri.scheme === 'output' && /FeatureVis/i.test(d.uri.toString())), 'the FeatureVis output document', 10000);
  });

  it('featurevis.restartEngine: the next request runs in a new engine process', async () => {
    const before = (await info(api)).pid;
    const n = api.recentLog().length;
    await vscode.commands.executeCommand('featurevis.restartEngine');
    assert.match(logSince(api, n), new RegExp(`restarting the engine process ${before}: FeatureVis: Restart Engine`));
    const after = (await info(api)).pid;
    assert.notEqual(after, before);
    assert.equal(api.engine.pid, after);
  });

  it('the engine client survives a killed engine: the next request works in a new process', async () => {
    const before = (await info(api)).pid;
    process.kill(before, 'SIGKILL');
    await waitFor(() => !api.engine.running, 'the client noticing the exit');
    const r = await api.explain(photo().fsPath, 'gradient', convnet().fsPath);
    assert.equal(r.relevance.dims.length, 4);
    const after = (await info(api)).pid;
    assert.notEqual(after, before);
    assert.match(api.recentLog().join('\n'), new RegExp(`engine process ${before} was killed \\(SIGKILL\\)`));
  });

  it('settings changes reach the engine: featurevis.threads and featurevis.executionProvider restart it with them', async () => {
    const cfg = () => vscode.workspace.getConfiguration('featurevis');
    const before = (await info(api)).pid;
    const n = api.recentLog().length;
    try {
      await cfg().update('threads', 1, vscode.ConfigurationTarget.Global);
      await waitFor(() => logSince(api, n).includes('engine settings changed'), 'the settings-change log line', 10000);
      const mid = await info(api);
      assert.notEqual(mid.pid, before);
      await waitFor(() => new RegExp(`started \\(pid ${mid.pid}, .*"threads":1`).test(logSince(api, n)), 'the engine started with threads 1', 10000);
      await cfg().update('executionProvider', 'webgpu', vscode.ConfigurationTarget.Global);
      await waitFor(async () => (await info(api)).executionProvider === 'webgpu', 'executionProvider webgpu reaching the engine', 10000);
    } finally {
      await cfg().update('threads', undefined, vscode.ConfigurationTarget.Global);
      await cfg().update('executionProvider', undefined, vscode.ConfigurationTarget.Global);
    }
    await waitFor(async () => (await info(api)).executionProvider === 'cpu', 'back to cpu', 10000);
  });

  it('featurevis.openWalkthrough opens the getting-started walkthrough', async () => {
    await vscode.commands.executeCommand('featurevis.openWalkthrough');
    await waitFor(() => tabs().some((t) => /Welcome|Walkthrough|Get(ting)? Started/i.test(t.label)), 'a walkthrough tab', 10000);
  });
  // Issue 15 (layers ↔ the example's Python source). The example model is followed through its .onnx editor, with
  // model.py opened next to it in the same group (the inspector keeps following an editor that is open but hidden).
  async function openExample() {
    await vscode.commands.executeCommand('vscode.openWith', example(), 'featurevis.onnxPreview');
    await waitFor(() => api.inspector.currentModel() === example().fsPath, 'the inspector following the example model');
    return vscode.window.showTextDocument(modelPy(), { preview: false });
  }
  /** model.py's FeatureVis lenses per definition line: the one Conv defined once (the stem's) and one in a block used several times. */
  async function exampleLenses() {
    const all = await waitFor(async () => {
      const ls = await vscode.commands.executeCommand('vscode.executeCodeLensProvider', modelPy());
      return ls?.some((l) => l.command?.command === 'featurevis.showActivations') && ls;
    }, 'FeatureVis lenses in model.py');
    const byLine = new Map();
    for (const l of all.filter((x) => x.command?.command.startsWith('featurevis.'))) {
      const k = l.range.start.line;
      byLine.set(k, { ...byLine.get(k), line: k, [l.command.command.slice('featurevis.'.length)]: l.command });
    }
    const convs = [...byLine.values()].filter((d) => d.showLayerFilters);
    const once = convs.find((d) => d.showActivations.arguments[0].length === 1);
    const block = convs.find((d) => d.showActivations.arguments[0].length > 1);
    assert.ok(once && block, `Conv lenses on lines ${convs.map((d) => `${d.line + 1} (${d.showActivations.arguments[0].length})`).join(', ')}`);
    return [once, block];
  }
  const layerOf = async (tensor) => (await api.engine.request({ method: 'model/layers' }, { model: example().fsPath })).find((l) => l.tensor === tensor);

  it('model.py\'s CodeLenses: featurevis.showActivations, featurevis.showLayerFilters and featurevis.explainHere', async () => {
    const editor = await openExample();
    const [a, b] = await exampleLenses();
    const [[ta], model] = a.showActivations.arguments;
    const tb = b.showActivations.arguments[0][0];
    assert.equal(model, example().fsPath, 'the lens names the model it was mapped from');
    assert.match(editor.document.lineAt(a.line).text, /nn\.Conv2d\(/, `line ${a.line + 1} defines a convolution`);
    assert.match(a.showActivations.title, /^FeatureVis: activations$/);
    assert.match(b.showActivations.title, new RegExp(`^FeatureVis: activations \\(${b.showActivations.arguments[0].length} instances\\)$`));
    // A block's lens asks which instance (a quick pick): accept the first item. A quick pick closes when focus
    // moves (a webview finishing its load takes it), so the command is asked again until the panel opens.
    await waitFor(async () => {
      void vscode.commands.executeCommand('featurevis.showActivations', ...b.showActivations.arguments);
      await sleep(700);
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      await sleep(300);
      return tabs().some((t) => t.label === `Activations: ${tb}`);
    }, `the picked instance's activations (${tb})`, 20000);
    // Activations: one panel; another layer retitles it only once that layer's feature maps are computed.
    await vscode.commands.executeCommand('featurevis.showActivations', ...a.showActivations.arguments);
    await tabNamed(`Activations: ${ta}`);
    assert.equal(tabs().filter((t) => /^Activations: /.test(t.label)).length, 1, 'one activations panel, reused');
    // Filters of that convolution, titled by its node name (which only the engine knows).
    await vscode.commands.executeCommand('featurevis.showLayerFilters', ...a.showLayerFilters.arguments);
    await tabNamed(`Filters: ${(await layerOf(ta)).node}`);
    // Explain here: a Visualize panel on the example model targeting the layer's strongest channel for the sample.
    await vscode.commands.executeCommand('featurevis.explainHere', ...a.explainHere.arguments);
    await tabLabeled(/^Visualize: chelsea\.png$/);
    const sample = path.join(vscode.extensions.getExtension(EXT_ID).extensionPath, 'assets', 'samples', 'chelsea.png');
    const { input } = await api.engine.request({ method: 'image/load' }, { model, path: sample });
    const top = await api.engine.request({ method: 'model/activations' }, { model, input, tensor: ta, top: 1, sort: 'mean' });
    assert.deepEqual(api.visualizePanels(), [{ image: sample, model, target: { kind: 'unit', tensor: ta, channel: top.channels[0].index } }]);
  });

  it('featurevis.inspector.goToDefinition opens a layer\'s line; featurevis.inspector.showActivations shows its feature maps', async () => {
    await openExample();
    const [a, b] = await exampleLenses();
    const [[ta]] = a.showActivations.arguments, tb = b.showActivations.arguments[0][1];
    await closeAll();
    await vscode.commands.executeCommand('vscode.openWith', example(), 'featurevis.onnxPreview');
    await waitFor(() => api.inspector.currentModel() === example().fsPath, 'the inspector following the example model');
    const node = await api.inspector.layerNode(ta);
    assert.equal(node.kind, 'layer');
    await vscode.commands.executeCommand('featurevis.inspector.goToDefinition', node);
    const ed = vscode.window.activeTextEditor;
    assert.equal(ed?.document.uri.fsPath, modelPy().fsPath);
    assert.equal(ed.selection.start.line, a.line, 'the selection starts on the lens\'s line');
    assert.match(ed.document.getText(ed.selection), /^nn\.Conv2d\(/);
    // From a layer node, then from a unit of another layer: the same panel, retitled once computed.
    await vscode.commands.executeCommand('featurevis.inspector.showActivations', node);
    await tabNamed(`Activations: ${ta}`);
    const [unit] = await api.inspector.getChildren(await api.inspector.layerNode(tb));
    assert.equal(unit.kind, 'unit');
    await vscode.commands.executeCommand('featurevis.inspector.showActivations', unit);
    await tabNamed(`Activations: ${tb}`);
    // Without a layer it refuses (logged); not awaited: the error notification stays open.
    const n = api.recentLog().length;
    void vscode.commands.executeCommand('featurevis.inspector.goToDefinition');
    await waitFor(() => /pick a layer in the FeatureVis inspector/.test(logSince(api, n)), 'the refusal in the log', 10000);
  });
});

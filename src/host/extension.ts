/**
 * FeatureVis extension entry. Activation only registers things; the engine process starts on the first request.
 */
const moduleLoadedAt = performance.now();
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import * as vscode from 'vscode';
import { EngineClient } from './engineClient';
import { Requests, type PanelTarget } from '../protocol/messages';
import type { ExplainResult } from '../protocol/types';
import { APPROVED_KEY, exportDecision } from './exportConsent';
import { Log, guarded, showError } from './log';
import { ModelInspector, type InspectorNode } from './inspector';
import { activationCommands, activationsModelChanged, ActivationsSource } from './activationsView';
import { LayerCodeLenses } from './codeLens';
import { LayerHovers } from './hover';
import { followEditorInInspector, goToDefinition, SourceLinks } from './sourceLinks';
import { OnnxEditorProvider } from './onnxEditor';
import { showFilters } from './filtersPanel';
import { EngineStatusBar } from './statusBar';
import { IMAGE_EXTENSIONS, VisualizePanel, type PanelContext } from './visualizePanel';

/** Test hook: e2e tests read events (activation time, engine pids) from this file. */
function marker(event: Record<string, unknown>): void {
  const file = process.env.FEATUREVIS_E2E_MARKER;
  if (file) try { fs.appendFileSync(file, JSON.stringify(event) + '\n'); } catch { /* tests only */ }
}

const EXPORT_TIMEOUT_MS = 10 * 60 * 1000;
let running: ReturnType<typeof spawn> | undefined;

/** What `activate` returns: used by the extension-host tests (test/extension-host/) and open to other extensions. */
export interface FeatureVisApi {
  engine: EngineClient;
  activationMs: number;
  inspector: ModelInspector;
  /** The last lines written to the FeatureVis output channel (an output channel cannot be read back). */
  recentLog(): string[];
  /** Visualize without a panel: `method`'s map of `image` (a file) for the top class of `model` (default: embedded). */
  explain(image: string, method: string, model?: string): Promise<ExplainResult>;
  /** The open Visualize panels: image file, model (undefined: embedded) and the target the host gave each. */
  visualizePanels(): { image: string; model: string | undefined; target: PanelTarget }[];
}

export function activate(context: vscode.ExtensionContext): FeatureVisApi {
  const t0 = performance.now();
  const log = new Log();
  context.subscriptions.push(log);
  const cfg = () => vscode.workspace.getConfiguration('featurevis');
  const engine = new EngineClient({
    modulePath: path.join(context.extensionPath, 'dist', 'engine-process.js'),
    settings: () => ({
      executionProvider: cfg().get('executionProvider', 'cpu'), threads: cfg().get('threads', 0) || undefined,
      preprocessing: cfg().get('preprocessing', {}), memoryBudgetMB: cfg().get('memoryBudgetMB', 3072),
    }),
    // Caches (patch databases) in this user's extension storage, not a shared temp folder (engine/private-files.ts).
    env: { FEATUREVIS_CACHE_DIR: path.join(context.globalStorageUri.fsPath, 'cache') },
    log: (l) => log.line(l),
    onCrash: (message) => {
      void vscode.window.showErrorMessage(`FeatureVis: ${message}`, 'Show Log').then((pick) => { if (pick === 'Show Log') log.channel.show(true); });
    },
  });
  context.subscriptions.push(engine, engine.onDidStart((pid) => marker({ event: 'engine', pid })));
  const status = new EngineStatusBar(
    vscode.window.createStatusBarItem('featurevis.engine', vscode.StatusBarAlignment.Left, 0),
    (id) => new vscode.ThemeColor(id), (key, value) => void vscode.commands.executeCommand('setContext', key, value),
  );
  context.subscriptions.push(status, engine.onState((e) => status.update(e)));

  const inspector = new ModelInspector(engine, log);
  const inspectorTree = vscode.window.createTreeView('featurevis.inspector', { treeDataProvider: inspector, showCollapseAll: true });
  context.subscriptions.push(inspector, inspectorTree);
  // Issue 15: layers ↔ their Python source (lenses, hovers, Go to Definition, the cursor selects the layer).
  const links = new SourceLinks(engine, log, () => inspector.currentModel());
  const activations = new ActivationsSource(engine, context.extensionUri);
  const lenses = new LayerCodeLenses(links);
  inspector.sourceOf = (tensor) => links.peek()?.sources.find((s) => s.tensor === tensor);
  inspector.sourceNames = async (phase) => { if (phase === 'after') { links.invalidate(); activations.clear(); } return links.moduleNames(); };
  context.subscriptions.push(links, lenses, links.onDidChange(() => inspector.sourcesChanged()),
    // Another model (an .onnx editor, the setting): map that one. follow() retargets before it redraws the tree,
    // so the redraw's own tree event finds the links following and stops (invalidating first recursed forever).
    inspector.onDidChangeTreeData(() => {
      if (links.follows(inspector.currentModel())) return;
      activations.clear();
      links.follow();
    }),
    vscode.languages.registerCodeLensProvider({ language: 'python', scheme: 'file' }, lenses),
    vscode.languages.registerHoverProvider({ language: 'python', scheme: 'file' }, new LayerHovers(links, activations)),
    followEditorInInspector(links, inspector, inspectorTree));

  const editor = new OnnxEditorProvider(context.extensionUri, engine, log);
  editor.onActiveModel = (file) => { if (file) inspector.setEditorModel(file); };
  editor.onClosed = (file) => { if (inspector.currentModel() === file) inspector.setEditorModel(undefined); };
  context.subscriptions.push(vscode.window.registerCustomEditorProvider(OnnxEditorProvider.viewType, editor, { supportsMultipleEditorsPerDocument: true }));

  const panelContext: PanelContext = {
    extensionUri: context.extensionUri,
    engine,
    log,
    currentModel: () => inspector.currentModel(),
    workspaceModels: async () => {
      const files = await vscode.workspace.findFiles('**/*.onnx', '**/node_modules/**', 24);
      return files.map((u) => ({ path: u.fsPath, name: vscode.workspace.asRelativePath(u) })).sort((a, b) => a.name.localeCompare(b.name));
    },
  };
  inspector.onModelChanged = (file, message) => {
    for (const p of VisualizePanel.panels) void p.modelChanged(file, message);
    activationsModelChanged(activations);
  };

  const register = (id: string, what: string, f: (...a: never[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, guarded(log, what, f as (...a: unknown[]) => unknown)));

  register('featurevis.visualize', 'Visualize', async (uri?: vscode.Uri, model?: string) => {
    let image = uri instanceof vscode.Uri ? uri : undefined;
    if (!image) {
      const picked = await vscode.window.showOpenDialog({
        canSelectMany: false, openLabel: 'Visualize',
        filters: { Images: IMAGE_EXTENSIONS.map((e) => e.slice(1)) },
        defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
      });
      image = picked?.[0];
    }
    if (!image) return;
    if (!IMAGE_EXTENSIONS.includes(path.extname(image.fsPath).toLowerCase())) {
      throw new Error(`${path.basename(image.fsPath)} is not an image FeatureVis reads (${IMAGE_EXTENSIONS.join(', ')})`);
    }
    await VisualizePanel.show(panelContext, image, typeof model === 'string' ? model : undefined);
  });
  // Explorer context-menu twins: menus show no category, so these carry "FeatureVis: " in their titles.
  register('featurevis.visualizeFile', 'Visualize', (uri?: vscode.Uri) => vscode.commands.executeCommand('featurevis.visualize', uri));
  register('featurevis.inspectModelFile', 'Inspect Model', (uri?: vscode.Uri) => vscode.commands.executeCommand('featurevis.inspectModel', uri));
  register('featurevis.inspectModel', 'Inspect Model', async (uri?: vscode.Uri) => {
    if (uri instanceof vscode.Uri) await vscode.commands.executeCommand('vscode.openWith', uri, OnnxEditorProvider.viewType);
    await vscode.commands.executeCommand('featurevis.inspector.focus');
  });
  register('featurevis.showLog', 'Show Log', () => log.channel.show(true));
  // The walkthrough's first step: the bundled photo with the embedded model, whatever model the user has set.
  register('featurevis.openSample', 'Open Sample', () => VisualizePanel.show(panelContext,
    vscode.Uri.joinPath(context.extensionUri, 'assets', 'samples', 'chelsea.png'), path.join(context.extensionPath, 'assets', 'models', 'efficientnet-lite0.onnx')));
  register('featurevis.openWalkthrough', 'Get Started', () =>
    vscode.commands.executeCommand('workbench.action.openWalkthrough', `${context.extension.id}#getStarted`, false));
  register('featurevis.restartEngine', 'Restart Engine', () => {
    engine.restart('FeatureVis: Restart Engine');
    void vscode.window.showInformationMessage('FeatureVis: the engine restarts on the next request.');
  });
  register('featurevis.inspector.refresh', 'Refresh', () => inspector.refresh());
  register('featurevis.inspector.moreUnits', 'Show More Units', (n: InspectorNode) => inspector.moreUnits(n));
  register('featurevis.useAsTarget', 'Use as Target', async (n?: InspectorNode) => {
    if (!n || (n.kind !== 'unit' && n.kind !== 'layer')) throw new Error('pick a unit in the FeatureVis inspector');
    const target = { kind: 'unit' as const, tensor: n.layer.tensor, channel: n.kind === 'unit' ? n.channel : 0 };
    const panel = VisualizePanel.active ?? [...VisualizePanel.panels].at(-1);
    if (panel) panel.setTarget(target);
    else await VisualizePanel.show(panelContext, vscode.Uri.joinPath(context.extensionUri, 'assets', 'samples', 'chelsea.png'), inspector.currentModel(), target);
  });
  register('featurevis.showFilters', 'Show Filters', () => showFilters(context.extensionUri, engine, log, inspector.currentModel()));
  register('featurevis.inspector.goToDefinition', 'Go to Definition', (n?: InspectorNode) => {
    if (!n || (n.kind !== 'layer' && n.kind !== 'unit')) throw new Error('pick a layer in the FeatureVis inspector');
    return goToDefinition(links, n.layer.tensor);
  });
  register('featurevis.inspector.showActivations', 'Show Activations', (n?: InspectorNode) =>
    vscode.commands.executeCommand('featurevis.showActivations', n && (n.kind === 'layer' || n.kind === 'unit') ? [n.layer.tensor] : undefined));
  for (const [id, f] of Object.entries(activationCommands({ extensionUri: context.extensionUri, engine, log, source: activations, links, panelContext }))) register(id, id.slice('featurevis.'.length), f);

  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration((e) => {
    if (['executionProvider', 'threads', 'preprocessing', 'memoryBudgetMB'].some((k) => e.affectsConfiguration(`featurevis.${k}`))) {
      log.line('[host] engine settings changed; restarting the engine on the next request');
      engine.restart('engine settings changed');
    }
  }));

  const asked = new Set<string>();
  context.subscriptions.push(vscode.workspace.onDidSaveTextDocument(guarded(log, 'export on save', (doc: vscode.TextDocument) => runExportOnSave(doc, log, context.workspaceState, asked))));

  const activationMs = performance.now() - t0;
  const total = performance.now() - moduleLoadedAt;
  log.line(`[host] activated in ${activationMs.toFixed(1)} ms (module load + activate ${total.toFixed(1)} ms); the engine starts on first use`);
  marker({ event: 'activated', ms: activationMs, totalMs: total });
  const explain = async (image: string, method: string, model?: string) => {
    const { input } = await engine.request(Requests.loadImage, { model, path: image });
    return engine.request(Requests.explain, { model, input, method });
  };
  const visualizePanels = () => [...VisualizePanel.panels].map((p) => ({ image: p.image.fsPath, model: p.modelPath, target: p.currentTarget }));
  return { engine, activationMs, inspector, recentLog: () => log.recent(), explain, visualizePanels };
}

const origins = (i: { globalValue?: string; workspaceValue?: string; workspaceFolderValue?: string } | undefined) =>
  ({ user: i?.globalValue, workspace: i?.workspaceFolderValue ?? i?.workspaceValue });

/**
 * `featurevis.exportCommand` on save of files matching `featurevis.exportOnSave`, trusted workspaces only; a
 * command or glob set by the workspace first needs the user's approval of that exact command (exportConsent.ts).
 */
async function runExportOnSave(doc: vscode.TextDocument, log: Log, state: vscode.Memento, asked: Set<string>): Promise<void> {
  const cfg = vscode.workspace.getConfiguration('featurevis', doc.uri);
  const approved = state.get<string[]>(APPROVED_KEY, []);
  const d = exportDecision({
    command: origins(cfg.inspect<string>('exportCommand')), glob: origins(cfg.inspect<string>('exportOnSave')),
    approvedHashes: approved, trusted: vscode.workspace.isTrusted,
  });
  if (d.kind === 'none') {
    if (d.reason !== 'no export command or glob is set') log.line(`[export] not running the export command: ${d.reason}`);
    return;
  }
  if (vscode.languages.match({ pattern: d.glob }, doc) === 0) return;
  if (d.kind === 'ask') {
    // One prompt per command per session: a declined command is not asked again on every save.
    if (asked.has(d.hash)) { log.line(`[export] not running '${d.command}': not approved`); return; }
    asked.add(d.hash);
    const pick = await vscode.window.showWarningMessage(
      'FeatureVis: this workspace\'s settings ask to run a shell command when you save a file. Run it?',
      { modal: true, detail: `Command:\n${d.command}\n\nOn save of files matching: ${d.glob}\n\nOnly allow commands you have read and trust. FeatureVis remembers your choice for this workspace and asks again if the command changes.` },
      'Allow',
    );
    if (pick !== 'Allow') { log.line(`[export] '${d.command}' was not approved; not running it`); return; }
    await state.update(APPROVED_KEY, [...new Set([...state.get<string[]>(APPROVED_KEY, []), d.hash])]);
    log.line(`[export] '${d.command}' approved for this workspace`);
  }
  const command = d.command;
  const cwd = vscode.workspace.getWorkspaceFolder(doc.uri)?.uri.fsPath ?? path.dirname(doc.uri.fsPath);
  log.line(`[export] ${path.basename(doc.uri.fsPath)} saved → running: ${command} (in ${cwd})`);
  const t0 = Date.now();
  // One export at a time: a newer save supersedes a running export; none runs longer than EXPORT_TIMEOUT_MS.
  running?.kill();
  const child = spawn(command, { cwd, shell: true, env: { ...process.env, FEATUREVIS_SAVED_FILE: doc.uri.fsPath } });
  running = child;
  const timeout = setTimeout(() => {
    log.line(`[export] still running after ${EXPORT_TIMEOUT_MS / 60000} min; stopped`);
    child.kill();
  }, EXPORT_TIMEOUT_MS);
  const out = (b: Buffer) => { for (const l of b.toString().split(/\r?\n/)) if (l) log.line(`[export] ${l}`); };
  child.stdout.on('data', out);
  child.stderr.on('data', out);
  child.on('error', (e) => void showError(log, 'export command', e));
  child.on('close', (code) => {
    clearTimeout(timeout);
    if (running === child) running = undefined;
    log.line(`[export] finished with code ${code} after ${Date.now() - t0} ms`);
    if (code !== 0 && !child.killed) void vscode.window.showWarningMessage(`FeatureVis: the export command failed (code ${code}).`, 'Show Log').then((p) => { if (p) log.channel.show(true); });
  });
}

export function deactivate(): void {
  /* disposables do the work */
}

/**
 * The model inspector (side panel): the current model › inputs/outputs and layers › units (loaded lazily).
 * Follows the active .onnx editor, else the `featurevis.model` setting, else the embedded default, and watches
 * the model file: when it is re-exported the tree refreshes and a message says what changed.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Requests } from '../protocol/messages';
import type { LayerInfo, LayerSource, ModelSummary } from '../protocol/types';
import { Disposable } from './disposable';
import type { EngineClient } from './engineClient';
import { errorMessage } from './errors';
import type { Log } from './log';
import { describeDiff, diffLayers } from './inspector-diff';
import { watchFile } from './watchFile';

export type InspectorNode =
  | { kind: 'model'; summary?: ModelSummary; error?: string }
  | { kind: 'group'; id: 'io' | 'layers' }
  | { kind: 'io'; label: string; detail: string }
  | { kind: 'layer'; layer: LayerInfo; index: number; firstConv: boolean }
  | { kind: 'unit'; layer: LayerInfo; channel: number }
  | { kind: 'more'; layer: LayerInfo; shown: number };

const UNIT_PAGE = 64;

export class ModelInspector extends Disposable implements vscode.TreeDataProvider<InspectorNode> {
  private readonly emitter = this.register(new vscode.EventEmitter<InspectorNode | undefined>());
  readonly onDidChangeTreeData = this.emitter.event;
  private root: InspectorNode = { kind: 'model' };
  private layers: LayerInfo[] = [];
  private shownUnits = new Map<string, number>();
  private watcher?: vscode.Disposable;
  private watched?: string;
  private editorModel?: string;
  private loading?: Promise<void>;
  /** Called after a model file changed on disk, with the message (open panels refresh too). */
  onModelChanged?: (file: string | undefined, message: string) => void;
  /** A layer's definition in the model's Python code, if mapped (tooltips say where, or why not). */
  sourceOf?: (tensor: string) => LayerSource | undefined;
  /** Module paths per tensor before and after a re-export: the "changed on disk" message names layers by them. */
  sourceNames?: (phase: 'before' | 'after') => Promise<Map<string, string>>;

  constructor(private readonly engine: EngineClient, private readonly log: Log) {
    super();
    this.register(vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('featurevis.model')) this.refresh(); }));
  }

  /** The model the inspector follows: active .onnx editor, else the setting, else undefined (embedded default). */
  currentModel(): string | undefined {
    if (this.editorModel) return this.editorModel;
    const setting = vscode.workspace.getConfiguration('featurevis').get<string>('model', '').trim();
    if (!setting) return undefined;
    if (path.isAbsolute(setting)) return setting;
    const ws = vscode.workspace.workspaceFolders?.[0];
    return ws ? path.join(ws.uri.fsPath, setting) : setting;
  }

  setEditorModel(file: string | undefined): void {
    if (file === this.editorModel) return;
    this.editorModel = file;
    this.refresh();
  }

  refresh(): void {
    this.root = { kind: 'model' };
    this.layers = [];
    this.shownUnits.clear();
    this.loading = undefined;
    this.emitter.fire(undefined);
  }

  private load(): Promise<void> {
    this.loading ??= (async () => {
      const model = this.currentModel();
      this.watch(model);
      try {
        const [summary, layers] = await Promise.all([this.engine.request(Requests.summary, { model }), this.engine.request(Requests.layers, { model })]);
        this.root = { kind: 'model', summary };
        this.layers = layers;
      } catch (e) {
        this.root = { kind: 'model', error: errorMessage(e) };
        this.layers = [];
        this.log.line(`[inspector] ${model ?? 'default model'}: ${errorMessage(e)}`);
      }
    })();
    return this.loading;
  }

  private watch(file: string | undefined): void {
    if (file === this.watched) return;
    this.watcher?.dispose();
    this.watcher = undefined;
    this.watched = file;
    if (!file) return;
    this.watcher = watchFile(file, (deleted) => void this.fileChanged(file, deleted));
  }

  private async fileChanged(file: string, deleted: boolean): Promise<void> {
    const before = this.layers;
    const name = path.basename(file);
    const beforeNames = await this.sourceNames?.('before').catch(() => undefined);
    let message: string;
    if (deleted) {
      message = `${name} was deleted; the inspector shows it as unavailable until it is written again.`;
      this.refresh();
    } else {
      try {
        const after = await this.engine.request(Requests.layers, { model: file });
        const afterNames = await this.sourceNames?.('after').catch(() => undefined);
        // Layers by their source (module path) names where mapped; the same module may produce several tensors.
        const named = (names: Map<string, string> | undefined) => (ts: string[]) => [...new Set(ts.map((t) => names?.get(t) ?? t))];
        const d = diffLayers(before, after);
        message = describeDiff(name, { added: named(afterNames)(d.added), removed: named(beforeNames)(d.removed), reshaped: named(afterNames)(d.reshaped) });
      } catch (e) {
        message = `${name} changed on disk but cannot be read: ${errorMessage(e)}`;
      }
      this.refresh();
    }
    this.log.line(`[inspector] ${message}`);
    void vscode.window.showInformationMessage(`FeatureVis: ${message}`);
    this.onModelChanged?.(file, message);
  }

  getTreeItem(n: InspectorNode): vscode.TreeItem {
    switch (n.kind) {
      case 'model': {
        const s = n.summary;
        const item = new vscode.TreeItem(s ? s.name : n.error ? 'Model could not be loaded' : 'Loading model…', vscode.TreeItemCollapsibleState.Expanded);
        item.id = 'model';
        item.description = s ? `opset ${s.opset} · ${(s.parameterCount / 1e6).toFixed(2)} M params` : n.error;
        item.tooltip = s ? `${s.path}\nproducer: ${s.producer}` : n.error;
        item.iconPath = new vscode.ThemeIcon(n.error ? 'error' : 'circuit-board');
        item.contextValue = 'model';
        return item;
      }
      case 'group': {
        const item = new vscode.TreeItem(n.id === 'io' ? 'Inputs and outputs' : `Layers (${this.layers.length})`, n.id === 'io' ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded);
        item.id = `group:${n.id}`;
        item.iconPath = new vscode.ThemeIcon(n.id === 'io' ? 'arrow-swap' : 'layers');
        return item;
      }
      case 'io': {
        const item = new vscode.TreeItem(n.label);
        item.description = n.detail;
        item.iconPath = new vscode.ThemeIcon('symbol-field');
        return item;
      }
      case 'layer': {
        const l = n.layer;
        const channels = l.shape.length >= 2 ? l.shape[1] : 0;
        const item = new vscode.TreeItem(l.tensor, channels > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.id = `layer:${l.tensor}`;
        item.description = `${l.op} [${l.shape.join('×')}]${l.params ? ` · ${l.params.toLocaleString('en-US')} params` : ''}`;
        const src = this.sourceOf?.(l.tensor);
        const where = src?.location ? `defined at ${path.basename(src.location.file)}:${src.location.line + 1}${src.modulePath ? ` (${src.modulePath})` : ''} — right-click: Go to Definition`
          : src ? `no definition found: ${src.reason ?? 'unknown'}` : undefined;
        item.tooltip = `${l.op} node '${l.node}'\noutput '${l.tensor}' [${l.shape.join(', ')}]\nparameters: ${l.params}${where ? `\n${where}` : ''}`;
        if (src?.modulePath) item.description = `${src.modulePath} · ${item.description}`;
        item.iconPath = new vscode.ThemeIcon(l.op === 'Conv' ? 'symbol-method' : 'symbol-operator');
        item.contextValue = n.firstConv ? 'layer.firstConv' : 'layer';
        return item;
      }
      case 'unit': {
        const item = new vscode.TreeItem(`unit ${n.channel}`);
        item.id = `unit:${n.layer.tensor}:${n.channel}`;
        item.description = n.layer.tensor;
        item.iconPath = new vscode.ThemeIcon('symbol-variable');
        item.contextValue = 'unit';
        item.tooltip = `Channel ${n.channel} of '${n.layer.tensor}' — right-click: Use as Target`;
        return item;
      }
      case 'more': {
        const item = new vscode.TreeItem(`Show more units… (${n.shown} of ${n.layer.shape[1]})`);
        item.command = { command: 'featurevis.inspector.moreUnits', title: 'Show more', arguments: [n] };
        return item;
      }
    }
  }

  async getChildren(n?: InspectorNode): Promise<InspectorNode[]> {
    if (!n) {
      await this.load();
      return [this.root];
    }
    if (n.kind === 'model') return n.summary ? [{ kind: 'group', id: 'io' }, { kind: 'group', id: 'layers' }] : [];
    if (n.kind === 'group' && n.id === 'io') {
      const s = (this.root as { summary?: ModelSummary }).summary;
      if (!s) return [];
      const dims = (d: (number | string | null)[]) => `[${d.map((x) => x ?? '?').join('×')}]`;
      return [...s.inputs.map((i) => ({ kind: 'io' as const, label: `input ${i.name}`, detail: dims(i.dims) })), ...s.outputs.map((o) => ({ kind: 'io' as const, label: `output ${o.name}`, detail: dims(o.dims) }))];
    }
    if (n.kind === 'group') {
      const firstConv = this.layers.findIndex((l) => l.op === 'Conv');
      return this.layers.map((layer, index) => ({ kind: 'layer' as const, layer, index, firstConv: index === firstConv }));
    }
    if (n.kind === 'layer') {
      const total = n.layer.shape[1] ?? 0;
      const shown = Math.min(total, this.shownUnits.get(n.layer.tensor) ?? UNIT_PAGE);
      const units: InspectorNode[] = Array.from({ length: shown }, (_, channel) => ({ kind: 'unit', layer: n.layer, channel }));
      if (shown < total) units.push({ kind: 'more', layer: n.layer, shown });
      return units;
    }
    return [];
  }

  getParent(n: InspectorNode): InspectorNode | undefined {
    if (n.kind === 'group') return this.root;
    if (n.kind === 'layer') return { kind: 'group', id: 'layers' };
    if (n.kind === 'io') return { kind: 'group', id: 'io' };
    if (n.kind === 'unit' || n.kind === 'more') return { kind: 'layer', layer: n.layer, index: 0, firstConv: false };
    return undefined;
  }

  /** The tree node of a layer (loads the model first), for TreeView.reveal. */
  async layerNode(tensor: string): Promise<InspectorNode | undefined> {
    await this.load();
    const index = this.layers.findIndex((l) => l.tensor === tensor);
    if (index < 0) return undefined;
    return { kind: 'layer', layer: this.layers[index], index, firstConv: index === this.layers.findIndex((l) => l.op === 'Conv') };
  }

  /** Source links changed: redraw the items (tooltips, module names) without reloading the model. */
  sourcesChanged(): void { this.emitter.fire(undefined); }

  moreUnits(n: InspectorNode): void {
    if (n.kind !== 'more') return;
    this.shownUnits.set(n.layer.tensor, n.shown + UNIT_PAGE * 4);
    this.emitter.fire(undefined);
  }

  override dispose(): void {
    this.watcher?.dispose();
    super.dispose();
  }
}

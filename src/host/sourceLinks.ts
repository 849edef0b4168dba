/**
 * Layer ↔ source links for the inspector's current model: the engine maps each layer to its definition in the
 * workspace's Python files (Requests.sourceMap); this caches that per model and invalidates it when the model is
 * re-exported or a Python file is saved (lines move). Also the two-way link with the inspector: "Go to Definition"
 * opens a layer's line, and moving the cursor in a mapped file reveals and selects its layer (debounced).
 */
import * as vscode from 'vscode';
import { layersAt, Requests } from '../protocol/messages';
import type { LayerInfo, LayerSource } from '../protocol/types';
import { Disposable } from './disposable';
import type { EngineClient } from './engineClient';
import { errorMessage } from './errors';
import type { Log } from './log';
import type { InspectorNode, ModelInspector } from './inspector';

export interface SourceMap { model: string | undefined; sources: LayerSource[]; layers: LayerInfo[]; error?: string }

const PY_EXCLUDE = '{**/node_modules/**,**/.venv/**,**/venv/**,**/site-packages/**,**/.git/**}';
const MAX_PY_FILES = 400;

export class SourceLinks extends Disposable {
  private readonly emitter = this.register(new vscode.EventEmitter<void>());
  /** Fires when the mapping may have changed (re-export, a saved Python file, another model). */
  readonly onDidChange = this.emitter.event;
  private current?: { model: string | undefined; map: Promise<SourceMap> };
  private last?: SourceMap;

  constructor(private readonly engine: EngineClient, private readonly log: Log, private readonly model: () => string | undefined) {
    super();
    this.register(vscode.workspace.onDidSaveTextDocument((d) => { if (d.languageId === 'python' || d.fileName.endsWith('.py')) this.invalidate(); }));
  }

  /** The mapping of the current model (computed once per model until invalidated; errors are kept, not thrown). */
  get(): Promise<SourceMap> {
    const model = this.model();
    if (this.current && this.current.model === model) return this.current.map;
    const map = (async (): Promise<SourceMap> => {
      // The embedded default model has no Python code: no engine start for every Python file opened.
      if (model === undefined) return (this.last = { model, sources: [], layers: [] });
      try {
        const files = (await vscode.workspace.findFiles('**/*.py', PY_EXCLUDE, MAX_PY_FILES)).map((u) => u.fsPath);
        const [sources, layers] = await Promise.all([this.engine.request(Requests.sourceMap, { model, files }), this.engine.request(Requests.layers, { model })]);
        const found = sources.filter((s) => s.location).length;
        this.log.line(`[sources] ${model ?? 'default model'}: ${found} of ${sources.length} layers found in ${files.length} Python files`);
        return (this.last = { model, sources, layers });
      } catch (e) {
        this.log.line(`[sources] ${model ?? 'default model'}: ${errorMessage(e)}`);
        return (this.last = { model, sources: [], layers: [], error: errorMessage(e) });
      }
    })();
    this.current = { model, map };
    return map;
  }

  /** Whether the cached (or pending) mapping is of `model`. */
  follows(model: string | undefined): boolean { return !!this.current && this.current.model === model; }

  /** The last computed mapping (synchronous readers: tree item tooltips). */
  peek(): SourceMap | undefined { return this.last; }

  /**
   * Maps the current model when it is another one than the mapping's, and tells the listeners. The new mapping is
   * pending before they hear of it, so a listener that redraws (and so asks again) finds it: no re-entry.
   */
  follow(): void {
    if (this.follows(this.model())) return;
    void this.get();
    this.emitter.fire();
  }

  invalidate(): void {
    this.current = undefined;
    this.emitter.fire();
  }

  async definitionOf(tensor: string): Promise<LayerSource | undefined> {
    return (await this.get()).sources.find((s) => s.tensor === tensor);
  }

  /** Module path names per tensor (the inspector's "changed on disk" message names layers by them). */
  async moduleNames(): Promise<Map<string, string>> {
    return new Map((await this.get()).sources.filter((s) => s.modulePath).map((s) => [s.tensor, s.modulePath!]));
  }
}

/** Opens a layer's definition with its span selected; a layer without one says why. */
export async function goToDefinition(links: SourceLinks, tensor: string): Promise<void> {
  const s = await links.definitionOf(tensor);
  if (!s?.location) {
    const why = s?.reason ?? (await links.get()).error ?? 'the model\'s layers were not mapped to source';
    void vscode.window.showInformationMessage(`FeatureVis: no definition found for '${tensor}': ${why}`);
    return;
  }
  const l = s.location;
  const range = new vscode.Range(l.line, l.column, l.endLine, l.endColumn);
  await vscode.window.showTextDocument(vscode.Uri.file(l.file), { selection: range, preview: false });
}

/** The cursor in a mapped Python file selects the narrowest layer defined there in the inspector. */
export function followEditorInInspector(links: SourceLinks, inspector: ModelInspector, tree: vscode.TreeView<InspectorNode>, debounceMs = 250): vscode.Disposable {
  let timer: NodeJS.Timeout | undefined;
  let lastTensor: string | undefined;
  const sub = vscode.window.onDidChangeTextEditorSelection((e) => {
    const doc = e.textEditor.document;
    if (doc.uri.scheme !== 'file' || !doc.fileName.endsWith('.py')) return;
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const map = await links.get();
      const hit = layersAt(map.sources, doc.uri.fsPath, e.selections[0].active.line)[0];
      if (!hit) { lastTensor = undefined; return; }
      if (hit.tensor === lastTensor) return;
      const node = await inspector.layerNode(hit.tensor);
      if (!node || !tree.visible) return;
      lastTensor = hit.tensor;
      await tree.reveal(node, { select: true, focus: false, expand: false });
    }, debounceMs);
  });
  return { dispose: () => { clearTimeout(timer); sub.dispose(); } };
}

/** Read-only custom editor for .onnx files: summary, methods available/unavailable, layer table, sample button. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Requests, type WebviewMessage } from '../protocol/messages';
import { Disposable } from './disposable';
import type { EngineClient } from './engineClient';
import { errorMessage } from './errors';
import type { Log } from './log';
import { WebviewHost } from './webviewHost';
import { watchFile } from './watchFile';

export class OnnxEditorProvider implements vscode.CustomReadonlyEditorProvider {
  static readonly viewType = 'featurevis.onnxPreview';
  /** The model of the active .onnx editor (the inspector follows it). */
  onActiveModel?: (file: string | undefined) => void;
  /** The last editor of a model closed. */
  onClosed?: (file: string) => void;
  private readonly open = new Map<string, number>();
  private active?: string;

  constructor(private readonly extensionUri: vscode.Uri, private readonly engine: EngineClient, private readonly log: Log) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(doc: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    const file = doc.uri.fsPath;
    this.open.set(file, (this.open.get(file) ?? 0) + 1);
    new OnnxEditor(this, panel, file);
  }

  /** Which editor is active (the inspector follows it). */
  setActive(file: string, on: boolean): void {
    if (on) this.active = file;
    else if (this.active === file) this.active = undefined;
    this.onActiveModel?.(this.active);
  }

  closed(file: string): void {
    this.setActive(file, false);
    const n = (this.open.get(file) ?? 1) - 1;
    if (n > 0) this.open.set(file, n);
    else { this.open.delete(file); this.onClosed?.(file); }
  }

  get context(): { extensionUri: vscode.Uri; engine: EngineClient; log: Log } {
    return { extensionUri: this.extensionUri, engine: this.engine, log: this.log };
  }
}

/** One open .onnx editor: its webview, the model file's watcher, and its part in the provider's bookkeeping. */
class OnnxEditor extends Disposable {
  private readonly host: WebviewHost;

  constructor(private readonly provider: OnnxEditorProvider, panel: vscode.WebviewPanel, private readonly file: string) {
    super();
    const { extensionUri, engine, log } = provider.context;
    this.host = this.register(new WebviewHost(panel, {
      extensionUri, title: path.basename(file), log, tag: 'onnx editor',
      init: async () => {
        const [summary, layers, methods] = await Promise.all([
          engine.request(Requests.summary, { model: file }),
          engine.request(Requests.layers, { model: file }),
          engine.request(Requests.methods, {}),
        ]);
        return { type: 'init', view: 'onnx', summary, layers, methods };
      },
      initFailed: (e) => {
        log.line(`[onnx editor] ${file}: ${errorMessage(e)}`);
        return `${path.basename(file)}: ${errorMessage(e)}`;
      },
      onMessage: (m) => this.onMessage(m),
    }));
    provider.setActive(file, panel.active);
    this.register(panel.onDidChangeViewState((e) => provider.setActive(file, e.webviewPanel.active)));
    // Re-exported model → reload the view.
    this.register(watchFile(file, (deleted) => { if (!deleted) void this.host.reinit(); }));
    this.register(panel.onDidDispose(() => this.dispose()));
  }

  private onMessage(m: WebviewMessage): void {
    const { extensionUri, engine } = this.provider.context;
    if (m.type === 'runCheck') {
      engine.request(Requests.check, { model: this.file }, { onProgress: (p) => this.host.post({ type: 'checkProgress', message: p.message ?? '' }) })
        .then((report) => this.host.post({ type: 'checkResult', report }), (e) => this.host.post({ type: 'checkError', message: errorMessage(e) }));
    } else if (m.type === 'visualizeSample') {
      void vscode.commands.executeCommand('featurevis.visualize', vscode.Uri.joinPath(extensionUri, 'assets', 'samples', 'chelsea.png'), this.file);
    }
  }

  override dispose(): void {
    if (this.isDisposed) return;
    super.dispose();
    this.provider.closed(this.file);
  }
}

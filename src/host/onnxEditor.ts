/** Read-only custom editor for .onnx files: summary, methods available/unavailable, layer table, sample button. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Requests, parseWebviewMessage, type HostMessage } from '../protocol/messages';
import type { EngineClient } from './engineClient';
import { errorMessage, type Log } from './errors';
import { webviewHtml, webviewOptions } from './webviewHtml';
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
    panel.webview.options = webviewOptions(this.extensionUri);
    panel.webview.html = webviewHtml(panel.webview, this.extensionUri, path.basename(file));
    const post = (m: HostMessage) => void panel.webview.postMessage(m);
    const load = async () => {
      try {
        const [summary, layers, methods] = await Promise.all([
          this.engine.request(Requests.summary, { model: file }),
          this.engine.request(Requests.layers, { model: file }),
          this.engine.request(Requests.methods, {}),
        ]);
        post({ type: 'init', view: 'onnx', summary, layers, methods });
      } catch (e) {
        this.log.line(`[onnx editor] ${file}: ${errorMessage(e)}`);
        post({ type: 'error', message: `${path.basename(file)}: ${errorMessage(e)}` });
      }
    };
    const setActive = (on: boolean) => {
      if (on) this.active = file;
      else if (this.active === file) this.active = undefined;
      this.onActiveModel?.(this.active);
    };
    this.open.set(file, (this.open.get(file) ?? 0) + 1);
    setActive(panel.active);
    const subs = [
      panel.onDidChangeViewState((e) => setActive(e.webviewPanel.active)),
      panel.webview.onDidReceiveMessage((raw) => {
        const r = parseWebviewMessage(raw);
        if (!r.ok) { this.log.line(`[onnx editor] ${r.error}`); post({ type: 'error', message: r.error }); return; }
        if (r.message.type === 'ready') void load();
        else if (r.message.type === 'runCheck') {
          this.engine.request(Requests.check, { model: file }, { onProgress: (p) => post({ type: 'checkProgress', message: p.message ?? '' }) })
            .then((report) => post({ type: 'checkResult', report }), (e) => post({ type: 'checkError', message: errorMessage(e) }));
        } else if (r.message.type === 'visualizeSample') {
          void vscode.commands.executeCommand('featurevis.visualize', vscode.Uri.joinPath(this.extensionUri, 'assets', 'samples', 'chelsea.png'), file);
        }
      }),
    ];
    // Re-exported model → reload the view.
    const watcher = watchFile(file, (deleted) => { if (!deleted) void load(); });
    panel.onDidDispose(() => {
      setActive(false);
      const n = (this.open.get(file) ?? 1) - 1;
      if (n > 0) this.open.set(file, n); else { this.open.delete(file); this.onClosed?.(file); } watcher.dispose(); subs.forEach((s) => s.dispose()); });
  }
}

/** "Show Filters": the first Conv layer's weights as small images in a webview. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Requests, parseWebviewMessage, type HostMessage } from '../protocol/messages';
import type { EngineClient } from './engineClient';
import type { Log } from './errors';
import { webviewHtml, webviewOptions } from './webviewHtml';

export async function showFilters(extensionUri: vscode.Uri, engine: EngineClient, log: Log, model: string | undefined): Promise<void> {
  const f = await engine.request(Requests.filters, { model });
  const panel = vscode.window.createWebviewPanel('featurevis.filters', `Filters: ${f.node || f.tensor} (${model ? path.basename(model) : 'default model'})`, vscode.ViewColumn.Active, webviewOptions(extensionUri));
  panel.webview.html = webviewHtml(panel.webview, extensionUri, 'Filters');
  const post = (m: HostMessage) => void panel.webview.postMessage(m);
  const sub = panel.webview.onDidReceiveMessage((raw) => {
    const r = parseWebviewMessage(raw);
    if (!r.ok) { log.line(`[filters] ${r.error}`); return; }
    if (r.message.type === 'ready') post({ type: 'init', view: 'filters', filters: { tensor: f.tensor, dims: f.weights.dims, data: f.weights.data } });
  });
  panel.onDidDispose(() => sub.dispose());
}

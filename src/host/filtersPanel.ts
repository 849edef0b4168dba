/** "Show Filters": the first Conv layer's weights as small images in a webview. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Requests } from '../protocol/messages';
import type { EngineClient } from './engineClient';
import type { Log } from './log';
import { webviewOptions } from './webviewHtml';
import { WebviewHost } from './webviewHost';

export async function showFilters(extensionUri: vscode.Uri, engine: EngineClient, log: Log, model: string | undefined): Promise<void> {
  const f = await engine.request(Requests.filters, { model });
  const panel = vscode.window.createWebviewPanel('featurevis.filters', `Filters: ${f.node || f.tensor} (${model ? path.basename(model) : 'default model'})`, vscode.ViewColumn.Active, webviewOptions(extensionUri));
  // The host disposes itself with the panel.
  new WebviewHost(panel, {
    extensionUri, title: 'Filters', log, tag: 'filters',
    init: () => ({ type: 'init', view: 'filters', filters: { tensor: f.tensor, dims: f.weights.dims, data: f.weights.data } }),
  });
}

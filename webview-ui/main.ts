/**
 * FeatureVis webviews (one bundle): the Visualize panel, the .onnx editor and the filters view. The host says
 * which one in its `init` message; the webview asks for it with `ready` once it listens (no lost first message).
 * A new `init` (model changed, webview reloaded) disposes the previous view first. The VS Code API is injected
 * (index.ts acquires it), so no module here touches it at import time. Imports only src/protocol and the DOM.
 */
import type { HostMessage, WebviewMessage } from '../src/protocol/messages';
import type { View, ViewContext, VsCodeApi } from './api';
import { decode } from './decode';
import { showError } from './dom';
import { filtersView } from './filters';
import { activationsView } from './activations';
import { onnxView } from './onnx';
import { visualizeView } from './visualize';
import './main.css';

export function start(api: VsCodeApi, app: HTMLElement): void {
  let seq = 0;
  const send = (m: WebviewMessage, transfer?: Transferable[]) => api.postMessage(m, transfer);
  const ctx: ViewContext = { app, api, send, nextSeq: () => ++seq };
  let view: View | undefined;
  // Anything the CSP blocks is logged and counted (the e2e test asserts none: the bundled components need no relaxation).
  let blocked = 0;
  document.addEventListener('securitypolicyviolation', (e) => {
    document.body.dataset.cspViolations = String(++blocked);
    send({ type: 'log', message: `CSP blocked ${e.violatedDirective}: ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})` });
  });
  window.addEventListener('message', (ev: MessageEvent) => {
    const m = ev.data as HostMessage;
    if (!m || typeof m !== 'object') return;
    try {
      if (m.type === 'init') {
        view?.dispose();
        view = undefined;
        document.getElementById('error')?.remove();
        view = m.view === 'visualize' ? visualizeView(ctx, m.state) : m.view === 'onnx' ? onnxView(ctx, m)
          : m.view === 'activations' ? activationsView(ctx, m.state) : filtersView(ctx, m);
      } else if (m.type === 'decode') void decode(m.bytes, m.name, send);
      else if (m.type === 'error') showError(app, m.message);
      else view?.onMessage(m);
    } catch (e) {
      send({ type: 'log', message: `webview error: ${(e as Error).stack ?? e}` });
      showError(app, String((e as Error).message ?? e));
    }
  });
  send({ type: 'ready' });
}

/**
 * The handshake every FeatureVis webview shares: the host sets the HTML, checks every message (parse), waits for
 * the webview's `ready` (it listens by then: no lost first message) and answers it with `init`. A webview that
 * VS Code reloads (hidden and shown again) says `ready` again and gets a fresh `init`.
 */
import * as vscode from 'vscode';
import { parseWebviewMessage, type HostMessage, type WebviewMessage } from '../protocol/messages';
import { Disposable } from './disposable';
import { errorMessage } from './errors';
import type { Log } from './log';
import { webviewHtml, webviewOptions } from './webviewHtml';

export interface WebviewHostOptions {
  extensionUri: vscode.Uri;
  /** The HTML document's title. */
  title: string;
  log: Log;
  /** Prefix of this view's log lines, e.g. 'visualize'. */
  tag: string;
  /** Builds the `init` message (or throws: the view then shows `initFailed(e)`). */
  init(): Promise<HostMessage> | HostMessage;
  /** Words a failed init for the view's error bar; may log or notify. Default: the error's message. */
  initFailed?(e: unknown): string;
  /** Every checked message but `ready`. */
  onMessage?(m: Exclude<WebviewMessage, { type: 'ready' }>): void;
}

export class WebviewHost extends Disposable {
  private readySeen = false;
  /** Only the newest init is sent (an older, slower one must not overwrite it). */
  private generation = 0;

  constructor(readonly panel: vscode.WebviewPanel, private readonly opts: WebviewHostOptions) {
    super();
    panel.webview.options = webviewOptions(opts.extensionUri);
    panel.webview.html = webviewHtml(panel.webview, opts.extensionUri, opts.title);
    this.register(panel.webview.onDidReceiveMessage((raw) => this.receive(raw)));
    this.register(panel.onDidDispose(() => this.dispose()));
  }

  post(m: HostMessage): void {
    if (!this.isDisposed) void this.panel.webview.postMessage(m);
  }

  /** Builds and sends `init` again (the model changed on disk); before the first `ready` that one sends it. */
  async reinit(): Promise<void> {
    if (!this.readySeen || this.isDisposed) return;
    const generation = ++this.generation;
    let message: HostMessage;
    try {
      message = await this.opts.init();
    } catch (e) {
      message = { type: 'error', message: this.opts.initFailed ? this.opts.initFailed(e) : errorMessage(e) };
    }
    if (generation === this.generation) this.post(message);
  }

  private receive(raw: unknown): void {
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      this.opts.log.line(`[${this.opts.tag}] ${parsed.error}`);
      this.post({ type: 'error', message: parsed.error });
      return;
    }
    const m = parsed.message;
    if (m.type === 'ready') {
      this.readySeen = true;
      void this.reinit();
    } else {
      this.opts.onMessage?.(m);
    }
  }
}

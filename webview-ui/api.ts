/** What the views get from the entry instead of calling `acquireVsCodeApi()` themselves (tests inject fakes). */
import type { HostMessage, WebviewMessage } from '../src/protocol/messages';

/** The part of VS Code's webview API FeatureVis uses. */
export interface VsCodeApi {
  postMessage(m: unknown, transfer?: Transferable[]): void;
  getState(): unknown;
  setState(s: unknown): void;
}

export interface ViewContext {
  /** The element the view renders into. */
  app: HTMLElement;
  api: VsCodeApi;
  send(m: WebviewMessage, transfer?: Transferable[]): void;
  /** Run sequence numbers, increasing across views (a result for an older view's run never matches). */
  nextSeq(): number;
}

/** One view (Visualize panel, .onnx editor, filters): built by its entry on `init`, disposed by the next one. */
export interface View {
  onMessage(m: HostMessage): void;
  dispose(): void;
}

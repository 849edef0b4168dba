/**
 * The Visualize panel: one webview per image. The host loads the image through the engine process (or has the
 * webview decode formats the engine cannot read), sends predictions, methods and layers, and answers `run`
 * messages per slot (main view, method-grid cells, model-grid cells): the latest request in a slot wins and
 * the superseded one is cancelled in the engine.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CancellationSource } from '../protocol/rpc';
import { Requests, parseWebviewMessage, toTargetSpec, type HostMessage, type PanelState, type PanelTarget, type RgbaPixels, type WebviewMessage } from '../protocol/messages';
import type { TensorData } from '../protocol/types';
import type { EngineClient } from './engineClient';
import { errorCode, errorMessage, showError, type Log } from './errors';
import { webviewHtml, webviewOptions } from './webviewHtml';

/** Formats the engine process decodes itself; the rest are decoded in the webview (createImageBitmap). */
const ENGINE_FORMATS = new Set(['.png', '.jpg', '.jpeg']);
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.bmp', '.gif'];

export interface PanelContext {
  extensionUri: vscode.Uri;
  engine: EngineClient;
  log: Log;
  /** The model to use when the command does not name one (inspector's current model; undefined = default). */
  currentModel(): string | undefined;
  workspaceModels(): Promise<{ path: string; name: string }[]>;
}

export class VisualizePanel implements vscode.Disposable {
  static readonly viewType = 'featurevis.visualize';
  static readonly panels = new Set<VisualizePanel>();
  static active?: VisualizePanel;

  private readonly disposables: vscode.Disposable[] = [];
  private readonly running = new Map<string, CancellationSource>();
  private readonly inputs = new Map<string, Promise<TensorData>>();
  private rgba?: RgbaPixels;
  private decoded?: { resolve(p: RgbaPixels): void; reject(e: Error): void };
  private readyOnce?: () => void;
  private readonly ready: Promise<void>;
  private models: { path: string; name: string }[] = [];
  private disposed = false;

  static async show(ctx: PanelContext, image: vscode.Uri, model?: string, target?: PanelTarget): Promise<VisualizePanel> {
    const panel = vscode.window.createWebviewPanel(VisualizePanel.viewType, `Visualize: ${path.basename(image.fsPath)}`, vscode.ViewColumn.Active, webviewOptions(ctx.extensionUri));
    const vp = new VisualizePanel(ctx, panel, image, model ?? ctx.currentModel(), target ?? { kind: 'top' });
    void vp.load();
    return vp;
  }

  private constructor(private readonly ctx: PanelContext, readonly panel: vscode.WebviewPanel, readonly image: vscode.Uri, private model: string | undefined, private target: PanelTarget) {
    VisualizePanel.panels.add(this);
    VisualizePanel.active = this;
    this.ready = new Promise((r) => (this.readyOnce = r));
    panel.iconPath = vscode.Uri.joinPath(ctx.extensionUri, 'media', 'featurevis.svg');
    panel.webview.html = webviewHtml(panel.webview, ctx.extensionUri, 'FeatureVis');
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.onDidChangeViewState((e) => { if (e.webviewPanel.active) VisualizePanel.active = this; }),
      panel.webview.onDidReceiveMessage((m) => this.onMessage(m)),
    );
  }

  get modelPath(): string | undefined { return this.model; }

  post(m: HostMessage): void {
    if (!this.disposed) void this.panel.webview.postMessage(m);
  }

  setTarget(target: PanelTarget): void {
    this.target = target;
    this.post({ type: 'setTarget', target });
    this.panel.reveal(undefined, false);
  }

  /** The model file changed on disk (or the setting): reload inputs and predictions, say what changed. */
  async modelChanged(file: string | undefined, message: string): Promise<void> {
    if (file !== this.model && !this.models.some((m) => m.path === file)) return;
    this.inputs.clear();
    this.post({ type: 'notice', message });
    await this.load();
  }

  private async load(): Promise<void> {
    const { engine, log } = this.ctx;
    try {
      const [modelsFound] = await Promise.all([this.ctx.workspaceModels(), this.ready]);
      this.models = modelsFound;
      const input = await this.inputFor(this.model);
      const preview = await this.previewFor(this.model);
      const [predictions, methods, summary, layers, mask] = await Promise.all([
        engine.request(Requests.predict, { model: this.model, input, top: 5 }),
        engine.request(Requests.methods, {}),
        engine.request(Requests.summary, { model: this.model }),
        engine.request(Requests.layers, { model: this.model }),
        engine.request(Requests.denseMap, { model: this.model, input }),
      ]);
      const cfg = vscode.workspace.getConfiguration('featurevis');
      const state: PanelState = {
        imageName: path.basename(this.image.fsPath),
        modelName: summary.name,
        modelPath: this.model,
        preview,
        predictions,
        methods,
        unavailable: summary.unavailable,
        layers: layers.map((l) => ({ tensor: l.tensor, op: l.op, shape: l.shape })),
        models: [{ path: this.model ?? '', name: summary.name }, ...this.models.filter((m) => m.path !== this.model)],
        defaultMethod: cfg.get<string>('defaultMethod', 'guided-backprop'),
        colorMap: cfg.get<string>('colorMap', 'auto'),
        target: this.target,
        mask: mask ?? undefined,
      };
      this.post({ type: 'init', view: 'visualize', state });
    } catch (e) {
      this.post({ type: 'error', message: `${path.basename(this.image.fsPath)}: ${errorMessage(e)}` });
      if (errorCode(e) !== 'Cancelled') log.line(`[visualize] ${this.image.fsPath}: ${errorMessage(e)}`);
      void showError(log, `cannot visualize ${path.basename(this.image.fsPath)}`, e);
    }
  }

  private previewCache = new Map<string, Promise<RgbaPixels>>();
  private previewFor(model: string | undefined): Promise<RgbaPixels> {
    return this.previewCache.get(model ?? '') ?? Promise.reject(new Error('no preview'));
  }

  /** The preprocessed input for a model (sizes and normalisation differ per model). */
  private inputFor(model: string | undefined): Promise<TensorData> {
    const key = model ?? '';
    let p = this.inputs.get(key);
    if (!p) {
      const loaded = (async () => {
        const ext = path.extname(this.image.fsPath).toLowerCase();
        if (ENGINE_FORMATS.has(ext) && this.image.scheme === 'file') {
          return this.ctx.engine.request(Requests.loadImage, { model, path: this.image.fsPath });
        }
        const rgba = await this.pixels();
        return this.ctx.engine.request(Requests.loadImage, { model, rgba });
      })();
      p = loaded.then((l) => l.input);
      this.previewCache.set(key, loaded.then((l) => l.preview));
      this.inputs.set(key, p);
      p.catch(() => { this.inputs.delete(key); this.previewCache.delete(key); });
    }
    return p;
  }

  /** Pixels decoded by the webview (webp, bmp, gif and anything else the browser reads). */
  private async pixels(): Promise<RgbaPixels> {
    if (this.rgba) return this.rgba;
    const bytes = await vscode.workspace.fs.readFile(this.image);
    const copy = new Uint8Array(bytes.byteLength);
    copy.set(bytes);
    const result = new Promise<RgbaPixels>((resolve, reject) => (this.decoded = { resolve, reject }));
    this.post({ type: 'decode', bytes: copy.buffer, name: path.basename(this.image.fsPath) });
    this.rgba = await result;
    return this.rgba;
  }

  private onMessage(raw: unknown): void {
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      this.ctx.log.line(`[visualize] ${parsed.error}`);
      this.post({ type: 'error', message: parsed.error });
      return;
    }
    const m: WebviewMessage = parsed.message;
    switch (m.type) {
      case 'ready':
        this.readyOnce?.();
        // A webview that was reloaded (hidden and shown again) asks again: send the state again.
        if (this.readySeen) void this.load();
        this.readySeen = true;
        break;
      case 'run':
        void this.run(m);
        break;
      case 'cancel':
        this.running.get(m.slot)?.cancel();
        break;
      case 'decoded':
        this.decoded?.resolve({ width: m.width, height: m.height, data: new Uint8Array(m.data) });
        break;
      case 'decodeFailed':
        this.decoded?.reject(Object.assign(new Error(`${path.basename(this.image.fsPath)} could not be decoded: ${m.message}`), { code: 'InvalidInput' }));
        break;
      case 'export':
        void this.export(m.png, m.name);
        break;
      case 'log':
        this.ctx.log.line(`[webview] ${m.message}`);
        break;
      default:
        break;
    }
  }
  private readySeen = false;

  private async run(m: Extract<WebviewMessage, { type: 'run' }>): Promise<void> {
    // Only models this panel offered may be named (a webview must not make us read arbitrary files).
    const model = m.model === undefined || m.model === '' ? this.model : this.models.find((x) => x.path === m.model)?.path;
    if (m.model && m.model !== this.model && model === undefined) {
      this.post({ type: 'runError', seq: m.seq, slot: m.slot, code: 'InvalidParams', message: 'that model is not in this workspace list' });
      return;
    }
    this.running.get(m.slot)?.cancel();
    const source = new CancellationSource();
    this.running.set(m.slot, source);
    const t0 = Date.now();
    try {
      const input = await this.inputFor(model);
      if (source.token.isCancellationRequested) return;
      const params = Object.fromEntries(Object.entries(m.params).filter(([, v]) => v !== undefined && v !== ''));
      const explain = (target: PanelTarget, region = m.region) => this.ctx.engine.request(Requests.explain, { model, input, method: m.method, params, target: toTargetSpec(target), region }, {
        token: source.token,
        onProgress: (p) => {
          if (p.partial) this.post({ type: 'result', seq: m.seq, slot: m.slot, relevance: p.partial, output: 'map', ms: Date.now() - t0, targetValue: NaN, targetTensor: '', final: false });
        },
      });
      let result;
      try {
        result = await explain(m.target);
      } catch (e) {
        // A model-grid cell whose model has no such class (other label space) or no spatial output for the box:
        // explain that model's own top class.
        if (!m.slot.startsWith('model:') || (m.target.kind !== 'class' && !m.region) || errorCode(e) !== 'InvalidParams') throw e;
        result = await explain({ kind: 'top' }, undefined);
      }
      const method = (await this.methodsCache()).find((x) => x.id === m.method);
      this.post({ type: 'result', seq: m.seq, slot: m.slot, relevance: result.relevance, output: method?.output ?? 'input', ms: Date.now() - t0, targetValue: result.targetValue[0], targetTensor: result.targetTensor, final: true, targetDescription: typeof result.extras?.target === 'string' ? result.extras.target : undefined });
    } catch (e) {
      const code = errorCode(e);
      if (code === 'Cancelled') return;
      this.post({ type: 'runError', seq: m.seq, slot: m.slot, code, message: errorMessage(e), working: (e as { payload?: { working?: string[] } }).payload?.working });
      if (code === 'EngineCrashed') void showError(this.ctx.log, 'the engine stopped', e);
    } finally {
      if (this.running.get(m.slot) === source) this.running.delete(m.slot);
    }
  }

  private methodsPromise?: Promise<import('../protocol/types').MethodInfo[]>;
  private methodsCache() {
    this.methodsPromise ??= this.ctx.engine.request(Requests.methods, {});
    this.methodsPromise.catch(() => (this.methodsPromise = undefined));
    return this.methodsPromise;
  }

  private async export(png: ArrayBuffer, name: string): Promise<void> {
    const dir = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(path.dirname(this.image.fsPath));
    const safe = name.replace(/[^\w.-]+/g, '_').replace(/^\.+/, '') || 'featurevis.png';
    const uri = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.joinPath(dir, safe.endsWith('.png') ? safe : `${safe}.png`), filters: { 'PNG image': ['png'] } });
    if (!uri) return;
    const bytes = new Uint8Array(png);
    if (bytes.length < 8 || bytes[0] !== 0x89 || bytes[1] !== 0x50) {
      void vscode.window.showErrorMessage('FeatureVis: the export was not a PNG image; nothing was written.');
      return;
    }
    await vscode.workspace.fs.writeFile(uri, bytes);
    this.ctx.log.line(`[export] wrote ${uri.fsPath} (${bytes.length} bytes)`);
    void vscode.window.showInformationMessage(`FeatureVis: saved ${path.basename(uri.fsPath)}`);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of this.running.values()) s.cancel();
    this.decoded?.reject(new Error('the panel was closed'));
    VisualizePanel.panels.delete(this);
    if (VisualizePanel.active === this) VisualizePanel.active = undefined;
    this.panel.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/**
 * The Visualize panel: one webview per image. The host loads the image through the engine process (or has the
 * webview decode formats the engine cannot read), sends predictions, methods and layers, and answers `run`
 * messages per slot (main view, method-grid cells, model-grid cells): the latest request in a slot wins and
 * the superseded one is cancelled in the engine.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CancellationSource } from '../protocol/rpc';
import { Requests, slotKey, toTargetSpec, type ChosenPaths, type HostMessage, type LoadedImage, type PanelState, type PanelTarget, type RgbaPixels, type WebviewMessage } from '../protocol/messages';
import type { MethodInfo, TensorData } from '../protocol/types';
import { Disposable } from './disposable';
import type { EngineClient } from './engineClient';
import { errorCode, errorMessage } from './errors';
import { showError, type Log } from './log';
import { pathSpec, runParams } from './runParams';
import { webviewOptions } from './webviewHtml';
import { WebviewHost } from './webviewHost';
import { TrustRunner } from './trustRunner';

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

export class VisualizePanel extends Disposable {
  static readonly viewType = 'featurevis.visualize';
  static readonly panels = new Set<VisualizePanel>();
  static active?: VisualizePanel;

  private readonly host: WebviewHost;
  /** Keyed by slotKey(slot). */
  private readonly running = new Map<string, CancellationSource>();
  private readonly inputs = new Map<string, Promise<TensorData>>();
  /** The original image as the panel shows it, and where each model's input lies in it. */
  private readonly previews = new Map<string, Promise<Omit<LoadedImage, 'input'>>>();
  private rgba?: RgbaPixels;
  private decoded?: { resolve(p: RgbaPixels): void; reject(e: Error): void };
  private models: { path: string; name: string }[] = [];
  /** Paths chosen in this panel's dialogs, per method and parameter: the only path values runs use. */
  private readonly paths: ChosenPaths = {};
  private methodsPromise?: Promise<MethodInfo[]>;
  private readonly trust: TrustRunner;

  static show(ctx: PanelContext, image: vscode.Uri, model?: string, target?: PanelTarget): VisualizePanel {
    const panel = vscode.window.createWebviewPanel(VisualizePanel.viewType, `Visualize: ${path.basename(image.fsPath)}`, vscode.ViewColumn.Active, webviewOptions(ctx.extensionUri));
    return new VisualizePanel(ctx, panel, image, model ?? ctx.currentModel(), target ?? { kind: 'top' });
  }

  private constructor(private readonly ctx: PanelContext, readonly panel: vscode.WebviewPanel, readonly image: vscode.Uri, private model: string | undefined, private target: PanelTarget) {
    super();
    this.trust = new TrustRunner(ctx.engine, (m) => this.post(m));
    VisualizePanel.panels.add(this);
    VisualizePanel.active = this;
    panel.iconPath = vscode.Uri.joinPath(ctx.extensionUri, 'media', 'featurevis.svg');
    const name = path.basename(image.fsPath);
    this.host = this.register(new WebviewHost(panel, {
      extensionUri: ctx.extensionUri, title: 'FeatureVis', log: ctx.log, tag: 'visualize',
      init: () => this.init(),
      initFailed: (e) => {
        if (errorCode(e) !== 'Cancelled') ctx.log.line(`[visualize] ${image.fsPath}: ${errorMessage(e)}`);
        void showError(ctx.log, `cannot visualize ${name}`, e);
        return `${name}: ${errorMessage(e)}`;
      },
      onMessage: (m) => this.onMessage(m),
    }));
    this.register(panel.onDidDispose(() => this.dispose()));
    this.register(panel.onDidChangeViewState((e) => { if (e.webviewPanel.active) VisualizePanel.active = this; }));
  }

  get modelPath(): string | undefined { return this.model; }
  /** The target the host last gave the panel (at open, Use as Target, explain here). */
  get currentTarget(): PanelTarget { return this.target; }

  post(m: HostMessage): void { this.host.post(m); }

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
    await this.host.reinit();
  }

  private async init(): Promise<HostMessage> {
    const { engine } = this.ctx;
    this.models = await this.ctx.workspaceModels();
    const input = await this.inputFor(this.model);
    const { preview, frame, inputSize } = await this.previewFor(this.model);
    const [predictions, methods, summary, layers, mask] = await Promise.all([
      engine.request(Requests.predict, { model: this.model, input, top: 5 }),
      this.methods(),
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
      frame,
      inputSize,
      predictions,
      methods,
      unavailable: summary.unavailable,
      layers: layers.map((l) => ({ tensor: l.tensor, op: l.op, shape: l.shape })),
      models: [{ path: this.model ?? '', name: summary.name }, ...this.models.filter((m) => m.path !== this.model)],
      defaultMethod: cfg.get<string>('defaultMethod', 'guided-backprop'),
      colorMap: cfg.get<string>('colorMap', 'auto'),
      target: this.target,
      mask: mask ?? undefined,
      paths: this.paths,
    };
    return { type: 'init', view: 'visualize', state };
  }

  private previewFor(model: string | undefined): Promise<Omit<LoadedImage, 'input'>> {
    return this.previews.get(model ?? '') ?? Promise.reject(new Error('no preview'));
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
      this.previews.set(key, loaded.then(({ preview, frame, inputSize }) => ({ preview, frame, inputSize })));
      this.inputs.set(key, p);
      p.catch(() => { this.inputs.delete(key); this.previews.delete(key); });
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

  private onMessage(m: Exclude<WebviewMessage, { type: 'ready' }>): void {
    switch (m.type) {
      case 'run':
        void this.run(m);
        break;
      case 'cancel':
        this.running.get(slotKey(m.slot))?.cancel();
        break;
      case 'pickPath':
        void this.pickPath(m.method, m.param);
        break;
      case 'trust':
        void this.runTrust(m);
        break;
      case 'cancelTrust':
        this.trust.cancel();
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

  /** The file or folder dialog for a path parameter; the choice is remembered for this panel's runs. */
  private async pickPath(method: string, param: string): Promise<void> {
    const spec = pathSpec((await this.methods()).find((x) => x.id === method)?.params ?? [], param);
    if (!spec) { this.ctx.log.line(`[visualize] rejected a webview message: ${method} has no path parameter ${JSON.stringify(param).slice(0, 64)}`); return; }
    const current = this.paths[method]?.[param];
    const picked = await vscode.window.showOpenDialog({
      canSelectFiles: spec.pathKind === 'file', canSelectFolders: spec.pathKind === 'folder', canSelectMany: false,
      title: spec.label, openLabel: 'Choose',
      defaultUri: current ? vscode.Uri.file(current) : vscode.workspace.workspaceFolders?.[0]?.uri,
    });
    const chosen = picked?.[0];
    if (!chosen || this.isDisposed) return;
    (this.paths[method] ??= {})[param] = chosen.fsPath;
    this.post({ type: 'pathChosen', method, param, path: chosen.fsPath });
  }

  private async run(m: Extract<WebviewMessage, { type: 'run' }>): Promise<void> {
    const key = slotKey(m.slot);
    // Only models this panel offered may be named (a webview must not make us read arbitrary files).
    const model = m.model === undefined || m.model === '' ? this.model : this.models.find((x) => x.path === m.model)?.path;
    if (m.model && m.model !== this.model && model === undefined) {
      this.post({ type: 'runError', seq: m.seq, slot: m.slot, code: 'InvalidParams', message: 'that model is not in this workspace list' });
      return;
    }
    this.running.get(key)?.cancel();
    const source = new CancellationSource();
    this.running.set(key, source);
    const t0 = Date.now();
    let info: MethodInfo | undefined;
    try {
      info = (await this.methods()).find((x) => x.id === m.method);
      const input = await this.inputFor(model);
      if (source.token.isCancellationRequested) return;
      // An unknown method fails in the engine; it gets no parameters (path values from the webview never pass).
      const params = info ? runParams(m.params, info.params, this.paths[m.method]) : {};
      const explain = (target: PanelTarget, region = m.region) => this.ctx.engine.request(Requests.explain, { model, input, method: m.method, params, target: toTargetSpec(target), region }, {
        token: source.token,
        onProgress: (p) => {
          if (p.partial) this.post({ type: 'partial', seq: m.seq, slot: m.slot, relevance: p.partial, ms: Date.now() - t0, fraction: p.fraction, message: p.message });
        },
      });
      let result;
      try {
        result = await explain(m.target);
      } catch (e) {
        // A model-grid cell whose model has no such class (other label space) or no spatial output for the box:
        // explain that model's own top class.
        if (m.slot === 'main' || m.slot.kind !== 'model' || (m.target.kind !== 'class' && !m.region) || errorCode(e) !== 'InvalidParams') throw e;
        result = await explain({ kind: 'top' }, undefined);
      }
      this.post({ type: 'result', seq: m.seq, slot: m.slot, relevance: result.relevance, output: info?.output ?? 'input', ms: Date.now() - t0, targetValue: result.targetValue[0], targetTensor: result.targetTensor, targetDescription: typeof result.extras?.target === 'string' ? result.extras.target : undefined });
    } catch (e) {
      const code = errorCode(e);
      if (code === 'Cancelled') return;
      this.post({ type: 'runError', seq: m.seq, slot: m.slot, code, message: errorMessage(e, info?.params), working: (e as { payload?: { working?: string[] } }).payload?.working });
      if (code === 'EngineCrashed') void showError(this.ctx.log, 'the engine stopped', e, info?.params);
    } finally {
      if (this.running.get(key) === source) this.running.delete(key);
    }
  }

  /** The Trust section scores the main map's method on this panel's model and image. */
  private async runTrust(m: Extract<WebviewMessage, { type: 'trust' }>): Promise<void> {
    try {
      // A model-grid cell is scored on its model, which must be one this panel offered.
      const slot = m.slot;
      const model = slot !== 'main' && slot.kind === 'model' ? (slot.model === (this.model ?? '') ? this.model : this.models.find((x) => x.path === slot.model)?.path ?? null) : this.model;
      if (model === null) throw Object.assign(new Error('that model is not in this workspace list'), { code: 'InvalidParams' });
      const info = (await this.methods()).find((x) => x.id === m.method);
      const input = await this.inputFor(model);
      await this.trust.run(m, model, input, info ? runParams(m.params, info.params, this.paths[m.method]) : {});
    } catch (e) {
      this.post({ type: 'trustError', seq: m.seq, code: errorCode(e), message: errorMessage(e) });
    }
  }

  private methods(): Promise<MethodInfo[]> {
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

  override dispose(): void {
    if (this.isDisposed) return;
    for (const s of this.running.values()) s.cancel();
    this.trust.cancel();
    this.decoded?.reject(new Error('the panel was closed'));
    VisualizePanel.panels.delete(this);
    if (VisualizePanel.active === this) VisualizePanel.active = undefined;
    super.dispose();
    this.panel.dispose();
  }
}

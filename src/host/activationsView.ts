/**
 * The activations view and what the model code's lenses and hovers run. "The current image" is the image of the
 * active Visualize panel, else of the last one opened, else the bundled sample photo (chelsea.png); an image the
 * engine cannot decode itself (webp, bmp, gif: the panel decodes those in its webview) falls back to the sample.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CancellationSource } from '../protocol/rpc';
import { Requests, type ActivationSort, type ActivationsState, type HostMessage, type LayerActivations, type LoadedImage, type WebviewMessage } from '../protocol/messages';
import { Disposable } from './disposable';
import type { EngineClient } from './engineClient';
import { errorMessage } from './errors';
import type { Log } from './log';
import type { SourceLinks } from './sourceLinks';
import { VisualizePanel, type PanelContext } from './visualizePanel';
import { webviewOptions } from './webviewHtml';
import { WebviewHost } from './webviewHost';

const ENGINE_FORMATS = new Set(['.png', '.jpg', '.jpeg']);
const VIEW_TOP = 32;
/** A clicked channel's reconstruction: short enough to answer in seconds on a laptop CPU. */
const RECONSTRUCT_PARAMS = { steps: 64, lr: 0.05, 'tv-weight': 0.0005 };
const ATTRIBUTION_METHOD = 'guided-backprop';

/** Images and activations for the current image, cached per model until the model changes. */
export class ActivationsSource {
  private readonly images = new Map<string, Promise<LoadedImage>>();
  private readonly maps = new Map<string, Promise<LayerActivations>>();

  constructor(private readonly engine: EngineClient, private readonly extensionUri: vscode.Uri) {}

  currentImage(): vscode.Uri {
    const panel = VisualizePanel.active ?? [...VisualizePanel.panels].at(-1);
    if (panel && ENGINE_FORMATS.has(path.extname(panel.image.fsPath).toLowerCase())) return panel.image;
    return vscode.Uri.joinPath(this.extensionUri, 'assets', 'samples', 'chelsea.png');
  }

  image(model: string | undefined, image: vscode.Uri): Promise<LoadedImage> {
    const key = `${model ?? ''}\n${image.fsPath}`;
    let p = this.images.get(key);
    if (!p) {
      this.images.set(key, (p = this.engine.request(Requests.loadImage, { model, path: image.fsPath })));
      p.catch(() => this.images.delete(key));
    }
    return p;
  }

  activations(model: string | undefined, image: vscode.Uri, tensor: string, top: number, sort: ActivationSort): Promise<LayerActivations> {
    const key = [model ?? '', image.fsPath, tensor, top, sort].join('\n');
    let p = this.maps.get(key);
    if (!p) {
      p = this.image(model, image).then(({ input }) => this.engine.request(Requests.activations, { model, input, tensor, top, sort }));
      this.maps.set(key, p);
      p.catch(() => this.maps.delete(key));
    }
    return p;
  }

  /** The model was re-exported (or another one chosen): nothing cached is valid. */
  clear(): void { this.images.clear(); this.maps.clear(); }
}

/** The activations panel (one, reused): a layer's feature-map grid; a clicked channel's reconstruction and attribution. */
class ActivationsPanel extends Disposable {
  static current?: ActivationsPanel;
  private readonly host: WebviewHost;
  private running?: CancellationSource;

  constructor(private readonly deps: ActivationDeps, readonly panel: vscode.WebviewPanel, private model: string | undefined, private tensor: string, private sort: ActivationSort = 'mean') {
    super();
    ActivationsPanel.current = this;
    this.host = this.register(new WebviewHost(panel, {
      extensionUri: deps.extensionUri, title: 'Activations', log: deps.log, tag: 'activations',
      init: () => this.init(),
      onMessage: (m) => void this.onMessage(m),
    }));
    this.register(panel.onDidDispose(() => { this.running?.cancel(); if (ActivationsPanel.current === this) ActivationsPanel.current = undefined; this.dispose(); }));
  }

  show(model: string | undefined, tensor: string): void {
    [this.model, this.tensor] = [model, tensor];
    this.panel.reveal(undefined, false);
    void this.host.reinit();
  }

  /** The model changed on disk: recompute what the panel shows. */
  refresh(): void { void this.host.reinit(); }

  private async init(): Promise<HostMessage> {
    const { source, links } = this.deps;
    const image = source.currentImage();
    const [loaded, acts, map] = await Promise.all([source.image(this.model, image), source.activations(this.model, image, this.tensor, VIEW_TOP, this.sort), links.get()]);
    const names = new Map(map.sources.filter((s) => s.modulePath).map((s) => [s.tensor, s.modulePath!]));
    const name = names.get(this.tensor);
    this.panel.title = `Activations: ${this.tensor}`;
    const state: ActivationsState = {
      ...acts, sort: this.sort, modelName: this.model ? path.basename(this.model) : 'default model', imageName: path.basename(image.fsPath), name,
      layers: map.layers.filter((l) => l.shape.length === 4 && l.shape[2] > 1 && l.shape[3] > 1).map((l) => ({ tensor: l.tensor, op: l.op, shape: l.shape, name: names.get(l.tensor) })),
      preview: loaded.preview, frame: loaded.frame,
    };
    return { type: 'init', view: 'activations', state };
  }

  private async onMessage(m: Exclude<WebviewMessage, { type: 'ready' }>): Promise<void> {
    if (m.type === 'log') { this.deps.log.line(`[activations webview] ${m.message}`); return; }
    if (m.type === 'activations') {
      [this.tensor, this.sort] = [m.tensor, m.sort];
      await this.host.reinit();
      return;
    }
    if (m.type !== 'channel') return;
    this.running?.cancel();
    const cancel = (this.running = new CancellationSource());
    const { engine, source } = this.deps;
    const target = { kind: 'unit' as const, tensor: this.tensor, channel: m.index };
    try {
      const { input } = await source.image(this.model, source.currentImage());
      const reconstruction = await engine.request(Requests.explain, { model: this.model, input, method: 'activation-max', params: RECONSTRUCT_PARAMS, target }, { token: cancel.token });
      const attribution = await engine.request(Requests.explain, { model: this.model, input, method: ATTRIBUTION_METHOD, target }, { token: cancel.token });
      if (cancel.token.isCancellationRequested) return;
      this.host.post({ type: 'channelResult', seq: m.seq, index: m.index, reconstruction: reconstruction.relevance, attribution: attribution.relevance, attributionMethod: ATTRIBUTION_METHOD });
    } catch (e) {
      if (!cancel.token.isCancellationRequested) this.host.post({ type: 'channelError', seq: m.seq, index: m.index, message: errorMessage(e) });
    }
  }
}

export interface ActivationDeps { extensionUri: vscode.Uri; engine: EngineClient; log: Log; source: ActivationsSource; links: SourceLinks; panelContext: PanelContext }

/** A layer among several defined on one line (a block used several times): ask which. */
async function pickLayer(deps: ActivationDeps, tensors: unknown): Promise<string | undefined> {
  const list = Array.isArray(tensors) ? tensors.filter((t): t is string => typeof t === 'string') : typeof tensors === 'string' ? [tensors] : [];
  if (list.length <= 1) return list[0];
  const names = await deps.links.moduleNames();
  const pick = await vscode.window.showQuickPick(list.map((t) => ({ label: names.get(t) ?? t, description: t, tensor: t })), { placeHolder: 'Which instance of this layer?' });
  return pick?.tensor;
}

const modelArg = (deps: ActivationDeps, m: unknown) => (typeof m === 'string' && m ? m : deps.panelContext.currentModel());

/** The commands behind the lenses (and the inspector's "Show Activations"): id → handler. */
export function activationCommands(deps: ActivationDeps): Record<string, (...a: unknown[]) => Promise<void>> {
  return {
    'featurevis.showActivations': async (tensors, m) => {
      const tensor = await pickLayer(deps, tensors);
      if (!tensor) return;
      const model = modelArg(deps, m);
      if (ActivationsPanel.current) ActivationsPanel.current.show(model, tensor);
      else new ActivationsPanel(deps, vscode.window.createWebviewPanel('featurevis.activations', `Activations: ${tensor}`, vscode.ViewColumn.Beside, webviewOptions(deps.extensionUri)), model, tensor);
    },
    'featurevis.showLayerFilters': async (tensors, m) => {
      const tensor = await pickLayer(deps, tensors);
      if (!tensor) return;
      const model = modelArg(deps, m);
      const f = await deps.engine.request(Requests.filters, { model, tensor });
      const panel = vscode.window.createWebviewPanel('featurevis.filters', `Filters: ${f.node || f.tensor}`, vscode.ViewColumn.Beside, webviewOptions(deps.extensionUri));
      new WebviewHost(panel, { extensionUri: deps.extensionUri, title: 'Filters', log: deps.log, tag: 'filters', init: () => ({ type: 'init', view: 'filters', filters: { tensor: f.tensor, dims: f.weights.dims, data: f.weights.data } }) });
    },
    // The layer as a unit target: its strongest channel (by mean activation) for the current image.
    'featurevis.explainHere': async (tensors, m) => {
      const tensor = await pickLayer(deps, tensors);
      if (!tensor) return;
      const model = modelArg(deps, m);
      const image = deps.source.currentImage();
      const top = (await deps.source.activations(model, image, tensor, 1, 'mean')).channels[0];
      const target = { kind: 'unit' as const, tensor, channel: top?.index ?? 0 };
      const panel = VisualizePanel.active ?? [...VisualizePanel.panels].at(-1);
      if (panel && panel.modelPath === model) panel.setTarget(target);
      else await VisualizePanel.show(deps.panelContext, image, model, target);
    },
  };
}

/** After a re-export: cached activations are stale and an open view recomputes. */
export function activationsModelChanged(source: ActivationsSource): void {
  source.clear();
  ActivationsPanel.current?.refresh();
}

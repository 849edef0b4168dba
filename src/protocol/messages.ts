/**
 * The messages of FeatureVis: requests the host sends to the engine process (descriptors for rpc.ts), and the
 * messages exchanged with the webviews, with type guards for everything that comes from a webview (untrusted).
 * No imports outside src/protocol.
 */
import type { InputFrame } from './render';
import { request } from './rpc';
import type { CheckReport, DenseMap, ExplainResult, LayerInfo, LayerSource, MethodInfo, MetricInfo, MetricResult, ModelSummary, ParamValues, Prediction, Progress, Region, TargetSpec, TensorData } from './types';

// ---------------------------------------------------------------- engine process requests
/** `model` is a file path; undefined means the embedded default model. */
export interface ModelRef { model?: string }
export interface RgbaPixels { width: number; height: number; data: Uint8Array }
export interface EngineInfo { pid: number; startedMs: number; node: string; executionProvider: string }
/**
 * `preview` is the original image (its longest side capped at PREVIEW_MAX_SIDE), `frame` the box the model's input
 * covers in it (preview pixels), `inputSize` the model input's size (regions and masks are in its pixels).
 */
export interface LoadedImage { input: TensorData; preview: RgbaPixels; frame: InputFrame; inputSize: { width: number; height: number } }
/** Memory bound for the panel's photo and maps (a 1024² map is 4 MB of RGBA per canvas). */
export const PREVIEW_MAX_SIDE = 1024;
export interface FirstLayerFilters { tensor: string; node: string; weights: TensorData }
/** One channel of a layer's activation for an input: its mean and max over the map, and the (h, w) map. */
export interface ActivationChannel { index: number; mean: number; max: number; map: TensorData }
/** How channels are ranked: the top k by mean or by max (index: the top k by mean, in channel order). */
export type ActivationSort = 'mean' | 'max' | 'index';
export const ACTIVATION_SORTS: readonly ActivationSort[] = ['mean', 'max', 'index'];
export interface LayerActivations { tensor: string; shape: number[]; channels: ActivationChannel[] }

export const Requests = {
  info: request<Record<string, never>, EngineInfo>('engine/info'),
  methods: request<Record<string, never>, MethodInfo[]>('engine/methods'),
  summary: request<ModelRef, ModelSummary>('model/summary'),
  layers: request<ModelRef, LayerInfo[]>('model/layers'),
  /** The first Conv's filters, or those of the Conv that produces `tensor`. */
  filters: request<ModelRef & { tensor?: string }, FirstLayerFilters>('model/filters'),
  /** Decodes an image file (PNG, JPEG) or takes RGBA pixels, and preprocesses it for the model. */
  loadImage: request<ModelRef & { path?: string; rgba?: RgbaPixels }, LoadedImage>('image/load'),
  predict: request<ModelRef & { input: TensorData; top?: number }, Prediction[]>('predict'),
  /** The predicted class per output pixel, for models with an (N, K, H, W) output; null for others. */
  denseMap: request<ModelRef & { input: TensorData }, DenseMap | null>('model/dense'),
  /** `region` (input pixels) restricts a target on a spatial output to a box. */
  explain: request<ModelRef & { input: TensorData; method: string; params?: ParamValues; target?: TargetSpec; region?: Region }, ExplainResult, Progress>('explain'),
  metrics: request<Record<string, never>, MetricInfo[]>('engine/metrics'),
  /** A method's explanation of `input` scored by metrics; each result also streams through `Progress.result`. */
  evaluate: request<ModelRef & { input: TensorData; method: string; params?: ParamValues; target?: TargetSpec; region?: Region; metrics: { id: string; params?: ParamValues }[]; seed?: number }, MetricResult[], Progress>('evaluate'),
  /** Compiled backward graphs vs finite differences of the model (`featurevis check`). */
  check: request<ModelRef, CheckReport, Progress>('model/check'),
  /**
   * Each layer's definition in the model's Python code. `files` are the Python files to search (absolute paths;
   * the host passes the workspace's *.py).
   */
  sourceMap: request<ModelRef & { files: string[] }, LayerSource[]>('model/sources'),
  /** A layer's feature maps for item 0 of `input`: the `top` channels (default 16) ranked by `sort` (default mean). */
  activations: request<ModelRef & { input: TensorData; tensor: string; top?: number; sort?: ActivationSort }, LayerActivations>('model/activations'),
  /** Test hook: makes the engine process exit abruptly (simulates a native crash). */
  crash: request<Record<string, never>, void>('engine/crash'),
};

const normPath = (p: string) => p.replace(/\\/g, '/');

/**
 * The reverse direction of `Requests.sourceMap`: the layers whose definition spans `line` (0-based) of `file`, the
 * narrowest definitions first (a line inside a block's call can lie inside its parent's too), then in model order.
 */
export function layersAt(sources: readonly LayerSource[], file: string, line: number): LayerSource[] {
  const f = normPath(file);
  const hits = sources
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => s.location && normPath(s.location.file) === f && s.location.line <= line && line <= s.location.endLine);
  const span = (s: LayerSource) => s.location!.endLine - s.location!.line;
  hits.sort((a, b) => span(a.s) - span(b.s) || a.i - b.i);
  return hits.map(({ s }) => s);
}

// ---------------------------------------------------------------- webview messages
export type PanelTarget = { kind: 'top' } | { kind: 'class'; index: number } | { kind: 'unit'; tensor: string; channel: number };

/** Where a run's map goes: the main view, a method-grid cell or a model-grid cell. */
export type Slot = 'main' | { kind: 'method'; method: string } | { kind: 'model'; model: string };

/** A key for maps of slots (one string per slot; never parsed back). */
export function slotKey(s: Slot): string {
  return s === 'main' ? 'main' : s.kind === 'method' ? `method:${s.method}` : `model:${s.model}`;
}

/** Webview → host. */
export type WebviewMessage =
  | { type: 'ready' }
  /** Values of path parameters are ignored: the host substitutes the paths chosen through `pickPath`. */
  | { type: 'run'; seq: number; slot: Slot; method: string; params: ParamValues; target: PanelTarget; model?: string; region?: Region }
  | { type: 'cancel'; slot: Slot }
  /** The Trust section: score the main map's method with these metrics (the host allows only TRUST_METRICS). */
  | { type: 'trust'; seq: number; slot: Slot; method: string; params: ParamValues; target: PanelTarget; region?: Region; metrics: TrustMetric[] }
  /** Stops the evaluations of every slot. */
  | { type: 'cancelTrust' }
  /** Asks the host to show a file or folder dialog for a path parameter of a method. */
  | { type: 'pickPath'; method: string; param: string }
  | { type: 'export'; png: ArrayBuffer; name: string }
  | { type: 'decoded'; width: number; height: number; data: ArrayBuffer }
  | { type: 'decodeFailed'; message: string }
  | { type: 'visualizeSample' }
  | { type: 'runCheck' }
  /** The activations view: show another layer or ranking. */
  | { type: 'activations'; tensor: string; sort: ActivationSort }
  /** The activations view: a channel was clicked (the host answers with its reconstruction and attribution). */
  | { type: 'channel'; seq: number; index: number }
  | { type: 'log'; message: string };

/** Host → webview. */
export type HostMessage =
  | { type: 'init'; view: 'visualize'; state: PanelState }
  | { type: 'init'; view: 'onnx'; summary: ModelSummary; layers: LayerInfo[]; methods: MethodInfo[] }
  | { type: 'init'; view: 'filters'; filters: { tensor: string; dims: number[]; data: Float32Array } }
  | { type: 'init'; view: 'activations'; state: ActivationsState }
  /** A clicked channel's activation-max reconstruction (an image) and its attribution on the current image. */
  | { type: 'channelResult'; seq: number; index: number; reconstruction: TensorData; attribution: TensorData; attributionMethod: string }
  | { type: 'channelError'; seq: number; index: number; message: string }
  /** A run's final map. */
  | { type: 'result'; seq: number; slot: Slot; relevance: TensorData; output: MethodInfo['output']; ms: number; targetValue: number; targetTensor: string; targetDescription?: string }
  /** A map streamed while the run goes on (occlusion windows done so far, the current reconstruction). */
  | { type: 'partial'; seq: number; slot: Slot; relevance: TensorData; ms: number; fraction?: number; message?: string }
  | { type: 'runError'; seq: number; slot: Slot; code: string; message: string; working?: string[] }
  /** A metric's result (again each time a randomisation gains a step); `done` once every metric has answered. */
  | { type: 'trustResult'; seq: number; result: MetricResult }
  | { type: 'trustDone'; seq: number; ms: number }
  | { type: 'trustError'; seq: number; code: string; message: string }
  /** The path the host chose for a method's path parameter (the dialog was not cancelled). */
  | { type: 'pathChosen'; method: string; param: string; path: string }
  | { type: 'decode'; bytes: ArrayBuffer; name: string }
  | { type: 'setTarget'; target: PanelTarget }
  | { type: 'notice'; message: string }
  | { type: 'checkProgress'; message: string }
  | { type: 'checkResult'; report: CheckReport }
  | { type: 'checkError'; message: string }
  | { type: 'error'; message: string };

/** The metrics the panel's Trust section offers: faithfulness curves and the cascading randomisation test. */
export const TRUST_METRICS = ['deletion', 'insertion', 'randomisation'] as const;
export type TrustMetric = (typeof TRUST_METRICS)[number];

export interface ActivationsState extends LayerActivations {
  modelName: string;
  imageName: string;
  sort: ActivationSort;
  /** Layers with spatial feature maps the picker offers; `name`: the module path the code defines it by, if known. */
  layers: { tensor: string; op: string; shape: number[]; name?: string }[];
  /** The shown layer's module path, if known (the tensor name otherwise says little: `getitem_15`). */
  name?: string;
  /** The image (capped at PREVIEW_MAX_SIDE) and where the model's input lies in it: attributions are drawn on it. */
  preview: RgbaPixels;
  frame: InputFrame;
}

/** Paths chosen per method and parameter: `paths[method][param]`. */
export type ChosenPaths = Record<string, Record<string, string>>;

export interface PanelState {
  imageName: string;
  modelName: string;
  modelPath?: string;
  /** The original image (capped at PREVIEW_MAX_SIDE); maps are resampled onto it through `frame`. */
  preview: RgbaPixels;
  frame: InputFrame;
  inputSize: { width: number; height: number };
  predictions: Prediction[];
  methods: MethodInfo[];
  unavailable: { method: string; reason: string }[];
  layers: { tensor: string; op: string; shape: number[] }[];
  models: { path: string; name: string }[];
  defaultMethod: string;
  colorMap: string;
  target: PanelTarget;
  /** Models with a spatial output: item 0's predicted class per output pixel (drawn over the image). */
  mask?: DenseMap;
  /** The paths this panel has chosen so far (shown by path parameters; a reloaded webview gets them back). */
  paths: ChosenPaths;
}

const isObj = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x);
const isStr = (x: unknown, max = 4096): x is string => typeof x === 'string' && x.length <= max;
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isInt = (x: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): x is number => Number.isInteger(x) && (x as number) >= min && (x as number) <= max;

function isParamValues(x: unknown): x is ParamValues {
  if (!isObj(x)) return false;
  const keys = Object.keys(x);
  if (keys.length > 64) return false;
  return keys.every((k) => {
    const v = x[k];
    return v === undefined || isNum(v) || isStr(v, 1024) || typeof v === 'boolean' || (Array.isArray(v) && v.length <= 16 && v.every(isNum));
  });
}

function isPanelTarget(x: unknown): x is PanelTarget {
  if (!isObj(x)) return false;
  if (x.kind === 'top') return true;
  if (x.kind === 'class') return isInt(x.index, 0, 1e7);
  if (x.kind === 'unit') return isStr(x.tensor, 1024) && isInt(x.channel, 0, 1e7);
  return false;
}

/** A box in input pixels; the engine checks it against the input's size. */
function isRegion(x: unknown): x is Region {
  if (!isObj(x)) return false;
  const { y0, x0, y1, x1 } = x;
  return isInt(y0, 0, 20000) && isInt(x0, 0, 20000) && isInt(y1, 1, 20000) && isInt(x1, 1, 20000) && y0 < y1 && x0 < x1;
}

function isSlot(x: unknown): x is Slot {
  if (x === 'main') return true;
  if (!isObj(x)) return false;
  if (x.kind === 'method') return isStr(x.method, 128);
  if (x.kind === 'model') return isStr(x.model);
  return false;
}
const copySlot = (s: Slot): Slot => (s === 'main' ? s : s.kind === 'method' ? { kind: 'method', method: s.method } : { kind: 'model', model: s.model });

const isBuffer = (x: unknown): x is ArrayBuffer => x instanceof ArrayBuffer || (isObj(x) && Object.prototype.toString.call(x) === '[object ArrayBuffer]');

/** Checks a message from a webview. Returns the typed message or why it was rejected. */
export function parseWebviewMessage(x: unknown): { ok: true; message: WebviewMessage } | { ok: false; error: string } {
  const bad = (why: string) => ({ ok: false as const, error: `rejected a webview message: ${why}` });
  if (!isObj(x)) return bad('not an object');
  switch (x.type) {
    case 'ready':
    case 'visualizeSample':
    case 'runCheck':
      return { ok: true, message: { type: x.type } };
    case 'run':
      if (!isInt(x.seq)) return bad('run.seq must be a non-negative integer');
      if (!isSlot(x.slot)) return bad("run.slot must be 'main', {kind: 'method', method} or {kind: 'model', model}");
      if (!isStr(x.method, 128)) return bad('run.method must be a string');
      if (!isParamValues(x.params)) return bad('run.params must map names to numbers, strings or booleans');
      if (!isPanelTarget(x.target)) return bad('run.target is not a valid target');
      if (x.model !== undefined && !isStr(x.model)) return bad('run.model must be a string');
      if (x.region !== undefined && !isRegion(x.region)) return bad('run.region must be {y0, x0, y1, x1}: whole pixels with y0 < y1 and x0 < x1');
      return { ok: true, message: { type: 'run', seq: x.seq, slot: copySlot(x.slot), method: x.method, params: x.params, target: x.target, model: x.model as string | undefined, region: x.region ? { y0: x.region.y0, x0: x.region.x0, y1: x.region.y1, x1: x.region.x1 } : undefined } };
    case 'trust':
      if (!isInt(x.seq)) return bad('trust.seq must be a non-negative integer');
      if (!isSlot(x.slot)) return bad("trust.slot must be 'main', {kind: 'method', method} or {kind: 'model', model}");
      if (!isStr(x.method, 128)) return bad('trust.method must be a string');
      if (!isParamValues(x.params)) return bad('trust.params must map names to numbers, strings or booleans');
      if (!isPanelTarget(x.target)) return bad('trust.target is not a valid target');
      if (x.region !== undefined && !isRegion(x.region)) return bad('trust.region must be {y0, x0, y1, x1}: whole pixels with y0 < y1 and x0 < x1');
      if (!Array.isArray(x.metrics) || x.metrics.length === 0 || x.metrics.length > TRUST_METRICS.length || !x.metrics.every((m) => (TRUST_METRICS as readonly unknown[]).includes(m))) {
        return bad(`trust.metrics must be a non-empty list of ${TRUST_METRICS.join(', ')}`);
      }
      return { ok: true, message: { type: 'trust', seq: x.seq, slot: copySlot(x.slot), method: x.method, params: x.params, target: x.target, region: x.region ? { y0: x.region.y0, x0: x.region.x0, y1: x.region.y1, x1: x.region.x1 } : undefined, metrics: [...new Set(x.metrics as TrustMetric[])] } };
    case 'cancelTrust':
      return { ok: true, message: { type: 'cancelTrust' } };
    case 'cancel':
      if (!isSlot(x.slot)) return bad("cancel.slot must be 'main', {kind: 'method', method} or {kind: 'model', model}");
      return { ok: true, message: { type: 'cancel', slot: copySlot(x.slot) } };
    case 'pickPath':
      if (!isStr(x.method, 128)) return bad('pickPath.method must be a string');
      if (!isStr(x.param, 128)) return bad('pickPath.param must be a string');
      return { ok: true, message: { type: 'pickPath', method: x.method, param: x.param } };
    case 'export':
      if (!isBuffer(x.png)) return bad('export.png must be an ArrayBuffer');
      if (!isStr(x.name, 256)) return bad('export.name must be a string');
      return { ok: true, message: { type: 'export', png: x.png, name: x.name } };
    case 'decoded': {
      if (!isInt(x.width, 1, 20000) || !isInt(x.height, 1, 20000)) return bad('decoded.width/height must be integers in 1..20000');
      if (!isBuffer(x.data)) return bad('decoded.data must be an ArrayBuffer');
      if (x.data.byteLength !== x.width * x.height * 4) return bad('decoded.data length does not match width × height × 4');
      return { ok: true, message: { type: 'decoded', width: x.width, height: x.height, data: x.data } };
    }
    case 'decodeFailed':
      if (!isStr(x.message)) return bad('decodeFailed.message must be a string');
      return { ok: true, message: { type: 'decodeFailed', message: x.message } };
    case 'activations':
      if (!isStr(x.tensor, 1024)) return bad('activations.tensor must be a string');
      if (!(ACTIVATION_SORTS as readonly unknown[]).includes(x.sort)) return bad(`activations.sort must be one of ${ACTIVATION_SORTS.join(', ')}`);
      return { ok: true, message: { type: 'activations', tensor: x.tensor, sort: x.sort as ActivationSort } };
    case 'channel':
      if (!isInt(x.seq) || !isInt(x.index, 0, 1e7)) return bad('channel.seq and channel.index must be non-negative integers');
      return { ok: true, message: { type: 'channel', seq: x.seq, index: x.index } };
    case 'log':
      if (!isStr(x.message)) return bad('log.message must be a string');
      return { ok: true, message: { type: 'log', message: x.message } };
    default:
      return bad(`unknown type ${JSON.stringify(String(x.type)).slice(0, 64)}`);
  }
}

export function toTargetSpec(t: PanelTarget): TargetSpec | undefined {
  if (t.kind === 'class') return { kind: 'class', index: t.index };
  if (t.kind === 'unit') return { kind: 'unit', tensor: t.tensor, channel: t.channel };
  return undefined;
}

/**
 * Plain data shared by the engine, the host, the CLI and the webview. No imports: this layer runs anywhere.
 * Tensors cross process boundaries as typed arrays (structured clone), never as JSON number lists.
 */

export interface TensorData {
  data: Float32Array;
  dims: number[];
}

/** A declared parameter of a method; drives validation, CLI flags and the generated webview controls. */
export type ParamSpec =
  | { name: string; label: string; kind: 'number'; default: number; min?: number; max?: number; step?: number; log?: boolean; live?: boolean; help?: string }
  | { name: string; label: string; kind: 'integer'; default: number; min?: number; max?: number; help?: string }
  | { name: string; label: string; kind: 'choice'; default: string; choices: string[]; help?: string }
  | { name: string; label: string; kind: 'boolean'; default: boolean; help?: string }
  | { name: string; label: string; kind: 'layer'; default?: string; required?: boolean; help?: string }
  | { name: string; label: string; kind: 'pair'; default: [number, number]; min?: number; integer?: boolean; help?: string }
  | { name: string; label: string; kind: 'color'; default: [number, number, number]; help?: string }
  | { name: string; label: string; kind: 'text'; default: string; help?: string }
  /**
   * A file or folder on the user's machine. In VS Code the host chooses it with a dialog (a webview never types a
   * path); on the CLI it is a flag value. `default: ''` means none (required ones then fail validation).
   */
  | { name: string; label: string; kind: 'path'; pathKind: 'file' | 'folder'; default: string; required?: boolean; help?: string };

export type ParamValues = Record<string, number | string | boolean | number[] | undefined>;

export type MethodFamily = 'deconvolution' | 'cam' | 'occlusion' | 'reconstruction';

export interface MethodInfo {
  id: string;
  title: string;
  family: MethodFamily;
  summary: string;
  params: ParamSpec[];
  /** 'input': relevance with the input's shape (N,C,H,W); 'map': one map per item at input resolution (N,1,H,W). */
  output: 'input' | 'map' | 'image';
  /**
   * A method that runs another (SmoothGrad): the name of its choice parameter naming the inner method, whose
   * parameters it also takes (the panel shows them under its own).
   */
  wraps?: string;
}

/** What to explain: a weighting of one tensor. */
export type TargetSpec =
  | { kind: 'class'; index: number | number[] }
  | { kind: 'label'; label: string }
  | { kind: 'unit'; tensor: string; channel: number; y?: number; x?: number }
  | { kind: 'weights'; tensor: string; weights: TensorData };

export interface LayerInfo {
  /** The tensor name (targets and layer parameters refer to tensors). */
  tensor: string;
  node: string;
  op: string;
  shape: number[];
  /** Parameter count of the node's constant inputs. */
  params: number;
}

/** A span in a source file; lines and columns are 0-based (as in VS Code), the end exclusive. */
export interface SourceLocation { file: string; line: number; column: number; endLine: number; endColumn: number }

/**
 * Where a layer (an ONNX node and its output tensor) is defined in the model's Python code. `modulePath` is the
 * module's dotted path in the model (`layer4.0.conv1`, Keras: the layer name); null when the exporter recorded none.
 * Without `location`, `reason` says why the definition was not found.
 */
export interface LayerSource { node: string; tensor: string; modulePath: string | null; location?: SourceLocation; reason?: string }

export interface ModelSummary {
  path: string;
  name: string;
  producer: string;
  opset: number;
  inputs: { name: string; dims: (number | string | null)[] }[];
  outputs: { name: string; dims: (number | string | null)[] }[];
  parameterCount: number;
  opHistogram: Record<string, number>;
  labels?: string[];
  /** Methods that cannot run and why (an op without a rule, no CAM head, …). */
  unavailable: { method: string; reason: string }[];
}

export interface Prediction {
  index: number;
  label?: string;
  logit: number;
  probability: number;
  /** Dense (spatial) outputs: the share of output pixels where this class is the arg-max. */
  fraction?: number;
}

/** A box in input pixels (the model's input tensor, rows then columns), exclusive ends: rows y0…y1−1. */
export interface Region {
  y0: number;
  x0: number;
  y1: number;
  x1: number;
}

/** Item 0's arg-max class per output pixel of a model with a spatial output (N, K, H, W). */
export interface DenseMap {
  height: number;
  width: number;
  /** Row-major class indices, height × width. */
  classes: Int32Array;
  /** Every class present, most pixels first (fraction = share of pixels). */
  present: Prediction[];
}

export interface Timings {
  compileMs: number;
  runMs: number;
}

export interface ExplainResult {
  method: string;
  relevance: TensorData;
  /** Value of the target (Σ weighting ⊙ tensor) per batch item. */
  targetValue: number[];
  /** The tensor the target was taken from (a Softmax output is replaced by its logits). */
  targetTensor: string;
  timings: Timings;
  /** Extra outputs a method reports (e.g. per-window occlusion map, objective trace). */
  extras?: Record<string, TensorData | number[] | string>;
}

/** A faithfulness or sanity metric (src/engine/metrics/): its declared parameters, like a method's. */
export interface MetricInfo {
  id: string;
  title: string;
  summary: string;
  params: ParamSpec[];
  /** Whether a higher value means a more faithful map ('none': a diagnostic, no better direction). */
  better: 'higher' | 'lower' | 'none';
}

/** A curve a metric plots (deletion, insertion, pixel flipping, the randomisation similarity). */
export interface MetricCurve {
  x: number[];
  y: number[];
  xLabel: string;
  yLabel: string;
}

/** One cascading-randomisation step: the map after `layer` (and every layer above it) is randomised. */
export interface RandomisationStep {
  layer: string;
  spearman: number;
  ssim: number;
  /** The randomised map as a (H, W) plane (|relevance| summed over channels), for the panel's strip. */
  map?: TensorData;
}

/** The value of one metric for one batch item of one method's explanation. */
export interface MetricResult {
  metric: string;
  method: string;
  item: number;
  /** The headline number (an AUC, AOPC, infidelity, mean rank correlation, …). */
  value: number;
  /** Further named numbers (e.g. insertion − deletion, LeRF AOPC, the mean SSIM). */
  values?: Record<string, number>;
  curve?: MetricCurve;
  steps?: RandomisationStep[];
  /** Why the metric does not apply to this method (value is then NaN), e.g. completeness for a non-path method. */
  notApplicable?: string;
  ms: number;
}

/** Progress notifications; partial results stream through `partial`. */
export interface Progress {
  fraction?: number;
  message?: string;
  etaMs?: number;
  partial?: TensorData;
  /** An evaluation's result as soon as it is known (a randomisation result grows by one step per report). */
  result?: MetricResult;
}

export type ErrorCode =
  | 'UnsupportedOp' | 'InvalidParams' | 'InvalidInput' | 'ModelLoadFailed' | 'Cancelled' | 'EngineCrashed' | 'Internal';

export interface ErrorPayload {
  code: ErrorCode;
  message: string;
  /** For UnsupportedOp. */
  op?: string;
  node?: string;
  /** Methods that still work on this model (for UnsupportedOp). */
  working?: string[];
  /**
   * For InvalidParams: the parameter at fault and why, worded without any front end's syntax, so the CLI can say
   * `--layer` and the panel can name its control.
   */
  param?: string;
  reason?: string;
}

/** `featurevis check`: the compiled backward graphs against finite differences of the plain forward model. */
export interface CheckReport {
  model: string;
  inputShape: number[];
  target: string;
  /** Whole-model gradient vs directional finite differences. */
  gradient: { ok: boolean; medianRelError: number; maxRelError: number; tolerance: number; directions: { fd: number; analytic: number; relError: number }[] } | { ok: false; error: string };
  /** One entry per distinct node configuration on the path (op, attributes, shapes). */
  ops: { op: string; node: string; input: number; instances: number; relError?: number; ok: boolean; error?: string }[];
  localTolerance: number;
  methods: { method: string; status: 'agrees' | 'disagrees' | 'rules-verified' | 'suspect' | 'unsupported' | 'not-applicable' | 'error' | 'non-finite'; detail: string }[];
  ok: boolean;
}

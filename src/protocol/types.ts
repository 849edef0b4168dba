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
  | { name: string; label: string; kind: 'layer'; default?: string; help?: string }
  | { name: string; label: string; kind: 'pair'; default: [number, number]; min?: number; help?: string }
  | { name: string; label: string; kind: 'color'; default: [number, number, number]; help?: string }
  | { name: string; label: string; kind: 'text'; default: string; help?: string };

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

/** Progress notifications; partial results stream through `partial`. */
export interface Progress {
  fraction?: number;
  message?: string;
  etaMs?: number;
  partial?: TensorData;
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
}

/**
 * A model opened by the engine: the decoded graph, its sidecar (labels, preprocessing), and caches of the
 * per-input-shape preparation (probe, folded graph) and of compiled explanation sessions.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadModelFile } from './onnx/load';
import { cloneGraph, dataInputs, defaultOpset, type Graph, type Model } from './ir/graph';
import { probeModel, type ProbeResult } from './ir/probe';
import { checkCoercedSoftmax, constantsToInitializers, foldBatchNormIntoConv, foldStatic, upgradeOpset, UnsupportedModelError } from './ir/canonicalize';
import { DataType, DTYPE_NAMES } from './ir/tensor';
import { OnnxFormatError } from './onnx/codec';
import { defaultPreprocessing, readSidecar, type Preprocessing, type Sidecar } from './preprocess';
import { FeatureVisError } from './errors';
import { compileGraph, type CompiledGraph, type GraphPlan } from './compile';
import { defaultRegistry } from './backward/registry';
import { UnsupportedOpError } from './backward/errors';

export interface SessionSettings {
  threads?: number;
  executionProvider?: 'cpu' | 'webgpu' | 'cuda';
}

export interface Prepared {
  graph: Graph;
  shapes: Map<string, number[]>;
}

export interface CompiledSession {
  session: ort.InferenceSession;
  compiled: CompiledGraph;
  compileMs: number;
}

/** Small LRU so a panel comparing methods keeps its sessions warm without holding every one ever built. */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly limit: number, private readonly onEvict?: (v: V) => void) {}
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, v: V): void {
    this.map.delete(key);
    this.map.set(key, v);
    while (this.map.size > this.limit) {
      const [k, old] = this.map.entries().next().value as [string, V];
      this.map.delete(k);
      this.onEvict?.(old);
    }
  }
  delete(key: string): void {
    this.map.delete(key);
  }
  clear(): void {
    for (const v of this.map.values()) this.onEvict?.(v);
    this.map.clear();
  }
}

export function sessionOptions(s: SessionSettings): ort.InferenceSession.SessionOptions {
  const providers = s.executionProvider && s.executionProvider !== 'cpu' ? [s.executionProvider, 'cpu'] : ['cpu'];
  return {
    graphOptimizationLevel: 'all',
    executionProviders: providers,
    ...(s.threads ? { intraOpNumThreads: s.threads } : {}),
  };
}

export class LoadedModel {
  readonly sidecar: Sidecar;
  readonly inputName: string;
  readonly inputDims: (number | string | null)[];
  private forward?: Promise<ort.InferenceSession>;
  private readonly probes = new Map<string, Promise<ProbeResult>>();
  private readonly prepared = new Map<string, Promise<Prepared>>();
  private readonly sessions: Lru<Promise<CompiledSession>>;

  private constructor(readonly path: string, readonly model: Model, private readonly bytes: Uint8Array, readonly settings: SessionSettings) {
    this.sidecar = readSidecar(path);
    const inputs = dataInputs(model.graph);
    if (inputs.length === 0) throw new FeatureVisError('ModelLoadFailed', `${path} has no data input`);
    const input = inputs[0];
    if (input.elemType !== DataType.FLOAT) {
      throw new FeatureVisError('ModelLoadFailed', `${path}: its input '${input.name}' is ${DTYPE_NAMES[input.elemType] ?? 'not float'}; FeatureVis explains models whose input is a float32 tensor (images, signals).`);
    }
    if (!input.dims || input.dims.length < 2) {
      throw new FeatureVisError('ModelLoadFailed', `${path}: input '${input.name}' has rank ${input.dims?.length ?? '?'}; FeatureVis needs a batched tensor (N, C, …) such as an image (N, C, H, W).`);
    }
    this.inputName = input.name;
    this.inputDims = input.dims;
    this.sessions = new Lru(6, (p) => void p.then((s) => s.session.release()).catch(() => undefined));
  }

  static open(file: string, settings: SessionSettings = {}): LoadedModel {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch (e) {
      throw new FeatureVisError('ModelLoadFailed', `cannot read model ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    try {
      const model = loadModelFile(file);
      return new LoadedModel(path.resolve(file), model, bytes, settings);
    } catch (e) {
      if (e instanceof FeatureVisError) throw e;
      if (e instanceof OnnxFormatError || e instanceof UnsupportedModelError) throw new FeatureVisError('ModelLoadFailed', e.message);
      throw new FeatureVisError('ModelLoadFailed', `${path.basename(file)} could not be loaded: ${(e as Error).message}`);
    }
  }

  get name(): string {
    return this.sidecar.name ?? path.basename(this.path);
  }

  get labels(): string[] | undefined {
    return this.sidecar.labels;
  }

  /** Preprocessing for images: the sidecar's, else defaults for the input size. */
  preprocessing(): Preprocessing {
    if (this.sidecar.preprocessing) return this.sidecar.preprocessing;
    const dims = this.inputDims.map((d) => (typeof d === 'number' ? d : -1));
    return defaultPreprocessing(dims.length === 4 ? dims : [1, dims[1] ?? 3, 224, 224]);
  }

  /** The input shape for a batch, with symbolic dimensions filled from the preprocessing size. */
  inputShapeFor(batch: number): number[] {
    const p = this.preprocessing();
    return this.inputDims.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? batch : i === 2 ? p.size[0] : i === 3 ? p.size[1] : 1));
  }

  get opset(): number {
    return defaultOpset(this.model);
  }

  forwardSession(): Promise<ort.InferenceSession> {
    this.forward ??= ort.InferenceSession.create(this.bytes, sessionOptions(this.settings)).catch((e) => {
      this.forward = undefined;
      throw new FeatureVisError('ModelLoadFailed', `onnxruntime could not load ${path.basename(this.path)}: ${(e as Error).message}`);
    });
    return this.forward;
  }

  probe(dims: number[]): Promise<ProbeResult> {
    const key = dims.join('x');
    let p = this.probes.get(key);
    if (!p) {
      const feeds = { [this.inputName]: new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims) };
      p = probeModel(this.model, feeds).catch((e) => {
        this.probes.delete(key);
        throw new FeatureVisError('InvalidInput', `the model does not run on an input of shape [${dims.join(', ')}]: ${(e as Error).message.split('\n')[0]}`);
      });
      this.probes.set(key, p);
    }
    return p;
  }

  /** The canonical graph for one input shape (optionally with BatchNorm folded into Conv, for LRP). */
  prepare(dims: number[], foldBatchNorm: boolean, protect: string[] = []): Promise<Prepared> {
    const key = `${dims.join('x')}|${foldBatchNorm}|${protect.join(',')}`;
    let p = this.prepared.get(key);
    if (!p) {
      p = (async () => {
        const probe = await this.probe(dims);
        const graph = cloneGraph(this.model.graph);
        constantsToInitializers(graph);
        foldStatic(graph, probe);
        try {
          upgradeOpset(graph, this.opset);
          checkCoercedSoftmax(graph, probe.shapes);
        } catch (e) {
          if (e instanceof UnsupportedModelError) throw new FeatureVisError('ModelLoadFailed', e.message);
          throw e;
        }
        if (foldBatchNorm) foldBatchNormIntoConv(graph, new Set(protect));
        return { graph, shapes: probe.shapes };
      })();
      p.catch(() => this.prepared.delete(key));
      this.prepared.set(key, p);
    }
    return p;
  }

  /** A compiled explanation session, cached per (method plan, target tensor, input shape). */
  compiledSession(planKey: string, plan: GraphPlan, target: string, dims: number[], foldBatchNorm: boolean): Promise<CompiledSession> {
    const key = `${planKey}|${target}|${dims.join('x')}`;
    let s = this.sessions.get(key);
    if (!s) {
      s = (async () => {
        const t0 = performance.now();
        const protect = [target, ...(plan.kind === 'grad-cam' ? [plan.layer] : [])];
        const prepared = await this.prepare(dims, foldBatchNorm, protect);
        let compiled: CompiledGraph;
        try {
          compiled = compileGraph(this.model, prepared.graph, prepared.shapes, defaultRegistry, plan, target);
        } catch (e) {
          if (e instanceof UnsupportedOpError) {
            throw new FeatureVisError('UnsupportedOp', e.message, { op: e.op, node: e.nodeName });
          }
          throw e;
        }
        let session: ort.InferenceSession;
        try {
          session = await ort.InferenceSession.create(compiled.bytes, sessionOptions(this.settings));
        } catch (e) {
          throw new FeatureVisError('Internal', `onnxruntime rejected the compiled explanation graph: ${(e as Error).message.split('\n')[0]}`);
        }
        return { session, compiled, compileMs: performance.now() - t0 };
      })();
      this.sessions.set(key, s);
      s.catch(() => this.sessions.delete(key));
    }
    return s;
  }

  async dispose(): Promise<void> {
    this.sessions.clear();
    const f = this.forward;
    this.forward = undefined;
    if (f) await f.then((s) => s.release()).catch(() => undefined);
  }
}

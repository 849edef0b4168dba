/**
 * A model opened by the engine: the decoded graph, its sidecar (labels, preprocessing), and caches of the
 * per-input-shape preparation (probe, folded graph) and of compiled explanation sessions.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadModelFile } from './onnx/load';
import { inlineLocalFunctions } from './ir/inline-functions';
import { cloneGraph, dataInputs, defaultOpset, type Graph, type Model } from './ir/graph';
import { probeModel, type ProbeResult } from './ir/probe';
import { checkCoercedSoftmax, constantsToInitializers, foldBatchNormIntoConv, foldStatic, upgradeOpset, UnsupportedModelError } from './ir/canonicalize';
import { fuseDecomposedNorms } from './ir/fuse-norms';
import { DataType, DTYPE_NAMES, type ConstTensor } from './ir/tensor';
import { encodeModel, externalFolderOf, OnnxFormatError } from './onnx/codec';
import { defaultPreprocessing, mergePreprocessing, readSidecar, type Preprocessing, type Sidecar } from './preprocess';
import { FeatureVisError } from './errors';
import { detectLayout, parseLayout } from './layout';
import { compileGraph, createCompiledSession, type CompiledGraph } from './compile';
import type { GraphPlan } from './plans/types';
import { defaultRegistry } from './backward/registry';
import { UnsupportedOpError } from './backward/errors';
import { budgetBytes, SessionBudget } from './session-budget';
import { BudgetedSession } from './budgeted-session';
import { compileCache, discardPending, dropEntry, entryKey, MAX_CACHED_GRAPH_BYTES, modelHash, pendingGraph, readCompiled, readProbe, rebindable, rebindInputs, storeCompiled, writeProbe, type CompileCache } from './compile-cache';

/** The newest ONNX IR version onnxruntime-node reads. */
export const MAX_IR_VERSION = 13;

export interface SessionSettings {
  threads?: number;
  executionProvider?: 'cpu' | 'webgpu' | 'cuda';
  /** The memory budget for compiled sessions of all open models, MB (the `featurevis.memoryBudgetMB` setting). */
  memoryBudgetMB?: number;
  /** Preprocessing for models without a sidecar (the extension's `featurevis.preprocessing` setting). */
  preprocessing?: Partial<Preprocessing>;
  /** The persistent compile cache's bound, MB (0: off); FEATUREVIS_COMPILE_CACHE_MB overrides it. */
  compileCacheMB?: number;
}

export interface Prepared {
  graph: Graph;
  shapes: Map<string, number[]>;
}

export interface CompiledSession {
  session: ort.InferenceSession;
  compiled: CompiledGraph;
  compileMs: number;
  /** Size of the serialized graph, weights included. */
  graphBytes: number;
  /** What the session costs the budget: the process growth while creating it, at least graphBytes. */
  bytes: number;
}

export function sessionOptions(s: SessionSettings): ort.InferenceSession.SessionOptions {
  const providers = s.executionProvider && s.executionProvider !== 'cpu' ? [s.executionProvider, 'cpu'] : ['cpu'];
  return {
    graphOptimizationLevel: 'all',
    executionProviders: providers,
    logSeverityLevel: 3,
    ...(s.threads ? { intraOpNumThreads: s.threads } : {}),
    // Worker threads spin while a run lasts (ops follow each other without a wake-up: ResNet-50's gradient 138 →
    // 117 ms) and stop spinning when it ends: the engine alternates between sessions (forward, compiled methods) and
    // shares the cores with the editor, and pools left spinning slowed the next session by up to 1.8× here.
    extra: { session: { intra_op: { allow_spinning: '1' }, inter_op: { allow_spinning: '1' }, force_spinning_stop: '1' } },
    // onnxruntime's profiler for `npm run bench` (bench/profile.ts): each session writes <prefix>_<time>.json on release.
    ...(process.env.FEATUREVIS_ORT_PROFILE ? { enableProfiling: true, profileFilePrefix: process.env.FEATUREVIS_ORT_PROFILE } : {}),
  };
}

export class LoadedModel {
  readonly sidecar: Sidecar;
  /** The file's IR version was above what onnxruntime reads (see open()). */
  irLowered = false;
  /** A copy built in memory (withInitializers): sessions are created from the encoded graph, not the file. */
  private inMemory = false;
  readonly inputName: string;
  readonly inputDims: (number | string | null)[];
  private forward?: Promise<ort.InferenceSession>;
  private readonly probes = new Map<string, Promise<ProbeResult>>();
  private readonly prepared = new Map<string, Promise<Prepared>>();
  /** The file as it was read, so the cache never files this graph under a later content's hash. */
  private readonly fileStat?: { size: number; mtimeMs: number };
  private hash?: string;
  private constructor(readonly path: string, readonly model: Model, readonly settings: SessionSettings,
    private readonly sessions: SessionBudget) {
    this.sidecar = readSidecar(path);
    try {
      const st = fs.statSync(path);
      this.fileStat = { size: st.size, mtimeMs: st.mtimeMs };
    } catch { /* no cache for a file that cannot be stat'ed */ }
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
  }

  /** `sessions`: the memory budget shared with other open models (the Engine's); a model of its own by default. */
  static open(file: string, settings: SessionSettings = {}, sessions = new SessionBudget(6, budgetBytes(settings.memoryBudgetMB))): LoadedModel {
    try {
      const model = loadModelFile(file);
      inlineLocalFunctions(model);
      // Files saved by a newer onnx library (its default IR version, 14) that onnxruntime does not read yet: the
      // IR version names which format features may appear, so it is lowered to the newest onnxruntime reads and
      // onnxruntime itself then rejects any feature it lacks. The forward session then reads re-encoded bytes.
      const lowered = model.irVersion > MAX_IR_VERSION;
      if (lowered) model.irVersion = MAX_IR_VERSION;
      const loaded = new LoadedModel(path.resolve(file), model, settings, sessions);
      loaded.irLowered = lowered;
      return loaded;
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

  /**
   * Preprocessing for images: the sidecar's, else defaults for the input size. The layout is the sidecar's or
   * setting's when given, else read from the input shape (detectLayout).
   */
  preprocessing(): Preprocessing {
    const side = this.sidecar.preprocessing;
    const given = side ? side.layout : parseLayout(this.settings.preprocessing?.layout);
    const layout = this.inputDims.length === 4 ? given ?? detectLayout(this.inputDims) : 'NCHW';
    if (side) return { ...side, layout };
    const dims = this.inputDims.map((d) => (typeof d === 'number' ? d : -1));
    const base = defaultPreprocessing(dims.length === 4 ? dims : [1, dims[1] ?? 3, 224, 224], layout);
    return mergePreprocessing(base, { ...this.settings.preprocessing, layout });
  }

  /** The input shape for a batch, with symbolic dimensions filled from the preprocessing size (H, W per layout). */
  inputShapeFor(batch: number): number[] {
    const p = this.preprocessing();
    const [hAxis, wAxis] = p.layout === 'NHWC' ? [1, 2] : [2, 3];
    return this.inputDims.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? batch : i === hAxis ? p.size[0] : i === wAxis ? p.size[1] : 1));
  }

  get opset(): number {
    return defaultOpset(this.model);
  }

  /** The batch size the input declares (an exported model may fix it), or undefined when any batch runs. */
  get fixedBatch(): number | undefined {
    const n = this.inputDims[0];
    return typeof n === 'number' && n > 0 ? n : undefined;
  }

  forwardSession(): Promise<ort.InferenceSession> {
    // From the path, so onnxruntime resolves external data itself and no second copy of the bytes is kept here.
    const options = sessionOptions(this.settings);
    this.forward ??= (this.irLowered || this.inMemory ? ort.InferenceSession.create(encodeModel(this.model), options) : ort.InferenceSession.create(this.path, options)).catch((e) => {
      this.forward = undefined;
      throw new FeatureVisError('ModelLoadFailed', `onnxruntime could not load ${path.basename(this.path)}: ${(e as Error).message}`);
    });
    return this.forward;
  }

  /** The persistent compile cache and this file's content hash; undefined when off, in memory or the file changed. */
  private cacheFor(): { cache: CompileCache; hash: string } | undefined {
    if (this.inMemory || !this.fileStat) return undefined;
    try {
      const cache = compileCache(this.settings.compileCacheMB);
      if (!cache) return undefined;
      const st = fs.statSync(this.path);
      if (st.size !== this.fileStat.size || st.mtimeMs !== this.fileStat.mtimeMs) return undefined;
      this.hash ??= modelHash(cache, this.path);
      return { cache, hash: this.hash };
    } catch {
      return undefined;
    }
  }

  probe(dims: number[]): Promise<ProbeResult> {
    const key = dims.join('x');
    let p = this.probes.get(key);
    if (!p) {
      const feeds = { [this.inputName]: new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims) };
      const c = this.cacheFor();
      const entry = c && entryKey('probe', [c.hash, key]);
      p = (async () => {
        const hit = c && entry ? quietly(() => readProbe(c.cache, entry)) : undefined;
        if (hit) return hit;
        const probe = await probeModel(this.model, feeds);
        if (c && entry) quietly(() => writeProbe(c.cache, entry, probe));
        return probe;
      })().catch((e) => {
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
        if (foldBatchNorm) {
          // LRP only: affine layers as one (BatchNorm into Conv), written-out layer norms as LayerNormalization.
          foldBatchNormIntoConv(graph, new Set(protect));
          fuseDecomposedNorms(graph, probe.shapes, new Set(protect));
        }
        return { graph, shapes: probe.shapes };
      })();
      p.catch(() => this.prepared.delete(key));
      this.prepared.set(key, p);
    }
    return p;
  }

  /**
   * A compiled explanation session, cached per (key, target tensor, input shape); `key` names everything that
   * changes the graph (the method, its non-live parameters, the plan's own key).
   */
  compiledSession(key: string, plan: GraphPlan, target: string, dims: number[], options: { argmaxSelect?: boolean } = {}): Promise<CompiledSession> {
    const cacheKey = `${key}|${plan.key}|${options.argmaxSelect ? 'argmax|' : ''}${target}|${dims.join('x')}`;
    let s = this.sessions.get<CompiledSession>(`${this.path}|${cacheKey}`);
    if (!s) {
      const c = this.cacheFor();
      const entry = c && entryKey('graph', [c.hash, cacheKey, this.preprocessing().layout, this.settings.executionProvider ?? 'cpu']);
      s = (async () => {
        const t0 = performance.now();
        const hit = c && entry ? await this.cachedSession(c.cache, entry, t0) : undefined;
        if (hit) return hit;
        const prepared = await this.prepare(dims, plan.foldBatchNorm, [target, ...plan.keep]);
        let compiled: CompiledGraph;
        try {
          // The model's own weights stay in its file (external data): onnxruntime reads them, no second copy here.
          compiled = compileGraph(this.model, prepared.graph, prepared.shapes, defaultRegistry, plan, target, { layout: this.preprocessing().layout, externalData: !this.inMemory, ...options });
        } catch (e) {
          if (e instanceof UnsupportedOpError) {
            throw new FeatureVisError('UnsupportedOp', e.message, { op: e.op, node: e.nodeName });
          }
          throw e;
        }
        const graphBytes = compiled.bytes.byteLength;
        this.sessions.checkFits(graphBytes, `explaining ${path.basename(this.path)}`);
        let session: ort.InferenceSession | undefined;
        const rss0 = process.memoryUsage.rss();
        // On a miss onnxruntime also writes the graph it optimised, for the next run (when its inputs can be rebuilt).
        const store = c && entry && graphBytes <= MAX_CACHED_GRAPH_BYTES && rebindable(compiled.inputs) ? quietly(() => pendingGraph(c.cache, entry)) : undefined;
        if (store) {
          const options = sessionOptions(this.settings);
          const extra = options.extra as { session: Record<string, string> };
          try {
            session = await createCompiledSession(compiled, { ...options, optimizedModelFilePath: store.model, extra: { ...extra, session: { ...extra.session, ...store.config } } });
            const { inputs, targetTensor, relevance, topIndex } = compiled;
            quietly(() => storeCompiled(c!.cache, entry!, store, { inputs: inputs.map((i) => ({ name: i.name, shape: i.shape })), targetTensor, relevance, topIndex, graphBytes }));
          } catch {
            quietly(() => discardPending(store)); // onnxruntime could not save it: created again below, uncached
          }
        }
        try {
          session ??= await createCompiledSession(compiled, sessionOptions(this.settings));
        } catch (e) {
          throw new FeatureVisError('Internal', `onnxruntime rejected the compiled explanation graph: ${(e as Error).message.split('\n')[0]}`);
        }
        const bytes = Math.max(graphBytes, process.memoryUsage.rss() - rss0);
        try {
          this.sessions.checkFits(bytes, `explaining ${path.basename(this.path)}`);
        } catch (e) {
          await session.release();
          throw e;
        }
        // The serialized graph (weights included) is onnxruntime's now; keep only the names.
        return { session, compiled: { ...compiled, bytes: new Uint8Array(0) }, compileMs: performance.now() - t0, graphBytes, bytes };
      })();
      this.sessions.set(`${this.path}|${cacheKey}`, this.path, s);
    }
    return s;
  }

  /** A session from the cache's optimised graph (no probe, prepare, compile or optimisation); undefined on a miss. */
  private async cachedSession(cache: CompileCache, entry: string, t0: number): Promise<CompiledSession | undefined> {
    const found = quietly(() => readCompiled(cache, entry));
    if (!found) return undefined;
    const { file, meta } = found;
    this.sessions.checkFits(meta.graphBytes, `explaining ${path.basename(this.path)}`);
    const rss0 = process.memoryUsage.rss();
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(file, { ...sessionOptions(this.settings), graphOptimizationLevel: 'disabled' });
    } catch {
      quietly(() => dropEntry(cache, entry)); // corrupted or unreadable: compiled again
      return undefined;
    }
    const bytes = Math.max(meta.graphBytes, process.memoryUsage.rss() - rss0);
    try {
      this.sessions.checkFits(bytes, `explaining ${path.basename(this.path)}`);
    } catch (e) {
      await session.release();
      throw e;
    }
    const compiled: CompiledGraph = { bytes: new Uint8Array(0), inputs: rebindInputs(meta.inputs), targetTensor: meta.targetTensor, relevance: meta.relevance, topIndex: meta.topIndex };
    return { session, compiled, compileMs: performance.now() - t0, graphBytes: meta.graphBytes, bytes };
  }

  /**
   * A forward-style session of a graph derived from this model (occlusion's target outputs and incremental graphs),
   * counted in the shared memory budget, its weights read from the model's file like the compiled graphs'.
   */
  derivedSession(key: string, build: () => Model, what: string): BudgetedSession {
    return new BudgetedSession(this.sessions, `${this.path}|derived|${key}`, this.path, async () => {
      const model = build();
      const externalFolder = this.inMemory ? undefined : externalFolderOf(model);
      try {
        return await createCompiledSession({ bytes: encodeModel(model, { externalFolder }), externalFolder }, sessionOptions(this.settings));
      } catch (e) {
        throw new FeatureVisError('Internal', `onnxruntime could not build ${what}: ${(e as Error).message.split('\n')[0]}`);
      }
    });
  }

  /**
   * This model with some initializers replaced (the randomisation metric's re-initialised layers), built in memory:
   * no file is written; its sessions live in a small budget of their own, released by its dispose().
   */
  withInitializers(replace: ReadonlyMap<string, ConstTensor>): LoadedModel {
    const initializers = new Map(this.model.graph.initializers);
    for (const [name, t] of replace) initializers.set(name, t);
    const model = { ...this.model, graph: { ...this.model.graph, initializers } };
    const copy = new LoadedModel(this.path, model, this.settings, new SessionBudget(2, budgetBytes(this.settings.memoryBudgetMB)));
    copy.irLowered = this.irLowered;
    copy.inMemory = true;
    return copy;
  }

  async dispose(): Promise<void> {
    this.sessions.clear(this.path);
    const f = this.forward;
    this.forward = undefined;
    if (f) await f.then((s) => s.release()).catch(() => undefined);
  }
}

/** The cache is an optimisation: a failing disk, a full quota or a foreign folder never fails a run. */
function quietly<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/**
 * The background engine process: forked by the extension host (child_process.fork, `serialization: 'advanced'`,
 * ELECTRON_RUN_AS_NODE=1), it wraps one Engine and answers the requests of src/protocol/messages.ts over the IPC
 * channel. Exits when the parent goes away. Logs go to stderr (the host shows them in the "FeatureVis" channel).
 */
import { Engine } from '../engine/engine';
import { checkModel } from '../engine/check/check';
import { layerActivations } from '../engine/activations';
import { normals } from '../engine/check/finite-diff';
import { FeatureVisError, invalidInput } from '../engine/errors';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { imageToTensor, inputFrame } from '../engine/preprocess';
import { decodeImage, type RgbaImage } from '../engine/image/decode';
import { resizeFloat } from '../engine/image/resize';
import { relevanceForDisplay } from '../engine/layout';
import { DataType } from '../engine/ir/tensor';
import type { SessionSettings } from '../engine/model';
import { RpcConnection, type Message, type Transport } from '../protocol/rpc';
import { PREVIEW_MAX_SIDE, Requests, type LoadedImage, type ModelRef } from '../protocol/messages';
import { scaleFrame } from '../protocol/render';
import type { TensorData } from '../protocol/types';

const startedMs = Date.now();
const log = (msg: string) => process.stderr.write(`[engine ${new Date().toISOString().slice(11, 23)}] ${msg}\n`);

/** Builds the server over any transport (the IPC channel in production, an in-process pair in tests). */
export function serveEngine(transport: Transport, settings: SessionSettings = {}): { connection: RpcConnection; engine: Engine } {
  const engine = new Engine(settings);
  const connection = new RpcConnection(transport, 'e');
  const open = (ref: ModelRef) => engine.open(typeof ref?.model === 'string' && ref.model ? ref.model : undefined);
  const checkTensor = (t: TensorData | undefined, what: string): TensorData => {
    if (!t || !(t.data instanceof Float32Array) || !Array.isArray(t.dims)) throw invalidInput(`${what} must be a Float32Array tensor with dims`);
    return t;
  };

  connection.onRequest(Requests.info, () => ({ pid: process.pid, startedMs, node: process.version, executionProvider: settings.executionProvider ?? 'cpu' }));
  connection.onRequest(Requests.methods, () => engine.methods());
  connection.onRequest(Requests.summary, (p) => engine.summary(open(p)));
  connection.onRequest(Requests.layers, (p) => engine.layers(open(p)));
  connection.onRequest(Requests.sourceMap, (p) => {
    if (!Array.isArray(p?.files) || !p.files.every((f) => typeof f === 'string')) throw invalidInput('model/sources needs files: a list of paths');
    return engine.sourceMap(open(p), p.files);
  });
  connection.onRequest(Requests.filters, (p) => {
    const model = open(p);
    const g = model.model.graph;
    // The first Conv with constant weights (it may read the input through a Pad, as EfficientNet's stem does),
    // or the one that produces `tensor` (a layer's "filters" CodeLens).
    const wanted = typeof p?.tensor === 'string' ? p.tensor : undefined;
    const conv = g.nodes.find((n) => n.op === 'Conv' && g.initializers.has(n.inputs[1]) && (wanted === undefined || n.outputs[0] === wanted));
    const w = conv && g.initializers.get(conv.inputs[1]);
    if (!conv || !w) throw new FeatureVisError('InvalidParams', wanted === undefined ? `${model.name}: no Conv layer with constant weights` : `'${wanted}' is not the output of a Conv with constant weights`);
    if (w.dataType !== DataType.FLOAT || w.dims.length !== 4) throw new FeatureVisError('InvalidParams', `the Conv's weights are not a float32 4-D tensor`);
    return { tensor: conv.outputs[0], node: conv.name, weights: { data: Float32Array.from(w.values() as Float32Array), dims: [...w.dims] } };
  });
  connection.onRequest(Requests.loadImage, (p): LoadedImage => {
    const model = open(p);
    const pre = model.preprocessing();
    let img: RgbaImage;
    if (typeof p.path === 'string') img = decodeImage(readImage(p.path), path.basename(p.path));
    else if (p.rgba && p.rgba.data instanceof Uint8Array && p.rgba.data.length === p.rgba.width * p.rgba.height * 4) img = p.rgba;
    else throw invalidInput('image/load needs a path or RGBA pixels (width × height × 4 bytes)');
    const input = imageToTensor(img, pre);
    // The panel shows the user's image, not the model's crop: the frame says where the input lies in it.
    const preview = capped(img, PREVIEW_MAX_SIDE);
    const frame = scaleFrame(inputFrame(pre, img.width, img.height), preview.width, preview.height);
    return { input, preview, frame, inputSize: { width: pre.size[1], height: pre.size[0] } };
  });
  connection.onRequest(Requests.predict, async (p) => (await engine.predict(open(p), checkTensor(p.input, 'predict.input'), p.top ?? 5))[0]);
  connection.onRequest(Requests.denseMap, (p) => engine.denseMap(open(p), checkTensor(p.input, 'model/dense.input')));
  connection.onRequest(Requests.explain, async (p, ctx) => {
    const model = open(p);
    const t0 = performance.now();
    const input = checkTensor(p.input, 'explain.input');
    const result = await engine.explain(
      { model, input, method: p.method, params: p.params, target: p.target, region: p.region },
      ctx.token,
      (pr) => ctx.progress(pr),
    );
    log(`explain ${p.method} on ${model.name}: ${(performance.now() - t0).toFixed(0)} ms (compile ${result.timings.compileMs.toFixed(0)}, run ${result.timings.runMs.toFixed(0)})`);
    // The panel reads relevance as (N, C, H, W): NHWC models' input-shaped relevance is transposed for it.
    return { ...result, relevance: relevanceForDisplay(result.relevance, input.dims, model.preprocessing().layout) };
  });
  connection.onRequest(Requests.activations, (p) => {
    if (typeof p.tensor !== 'string') throw invalidInput('model/activations needs a tensor name');
    return layerActivations(open(p), checkTensor(p.input, 'model/activations.input'), p.tensor, p.top, p.sort);
  });
  connection.onRequest(Requests.metrics, () => engine.metrics());
  connection.onRequest(Requests.evaluate, async (p, ctx) => {
    const model = open(p);
    const t0 = performance.now();
    const input = checkTensor(p.input, 'evaluate.input');
    if (!Array.isArray(p.metrics) || p.metrics.length === 0) throw invalidInput('evaluate needs a list of metrics');
    const results = await engine.evaluate(
      { model, input, method: p.method, params: p.params, target: p.target, region: p.region, metrics: p.metrics, seed: p.seed },
      ctx.token,
      (pr) => ctx.progress(pr),
    );
    log(`evaluate ${p.method} (${p.metrics.map((m) => m.id).join(', ')}) on ${model.name}: ${(performance.now() - t0).toFixed(0)} ms`);
    return results;
  });
  connection.onRequest(Requests.check, async (p, ctx) => {
    const model = open(p);
    const dims = model.inputShapeFor(1);
    // A seeded standard-normal input in the model's tensor units, as `featurevis check` uses without --input.
    const input = { data: normals(dims.reduce((a, b) => a * b, 1), 12345), dims };
    return checkModel(engine, model, input, { onProgress: (message) => ctx.progress({ message }) });
  });
  // A test hook: only an engine started with FEATUREVIS_TEST_HOOKS=1 (the unit tests) can be told to exit.
  if (process.env.FEATUREVIS_TEST_HOOKS === '1') {
    connection.onRequest(Requests.crash, () => {
      log('crash requested (test hook): exiting with code 70');
      setImmediate(() => process.exit(70));
    });
  }
  return { connection, engine };
}

function readImage(file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw invalidInput(`cannot read image ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * The image with its longest side at most `max`, opaque: a k × k box average first (large photos never become one
 * float copy of their full size), then the antialiased resize.
 */
export function capped(img: RgbaImage, max: number): { width: number; height: number; data: Uint8Array } {
  const s = Math.min(1, max / Math.max(img.width, img.height));
  const width = Math.max(1, Math.round(img.width * s)), height = Math.max(1, Math.round(img.height * s));
  let data: Uint8Array;
  if (s === 1) data = Uint8Array.from(img.data);
  else {
    const k = Math.max(1, Math.floor(1 / (2 * s)));
    const bw = Math.floor(img.width / k), bh = Math.floor(img.height / k);
    const box = new Float32Array(bw * bh * 4);
    for (let y = 0; y < bh * k; y++) {
      for (let x = 0; x < bw * k; x++) {
        const o = (Math.floor(y / k) * bw + Math.floor(x / k)) * 4, i = (y * img.width + x) * 4;
        for (let c = 0; c < 4; c++) box[o + c] += img.data[i + c] / (k * k);
      }
    }
    data = Uint8Array.from(resizeFloat(box, bw, bh, 4, width, height), (v) => Math.min(255, Math.max(0, Math.round(v))));
  }
  for (let i = 3; i < data.length; i += 4) data[i] = 255;
  return { width, height, data };
}

/**
 * An uncaught error leaves the engine in an unknown state, and the request it broke would never answer: log it
 * and exit(1), so that the host fails what was in flight and starts a fresh process (engineClient.ts).
 */
export function installCrashHandlers(proc: Pick<NodeJS.Process, 'on' | 'exit'>, write: (line: string) => void): void {
  const die = (what: string, e: unknown) => {
    try { write(`${what}: ${(e as Error)?.stack ?? String(e)}; exiting so that the host restarts the engine`); } finally { proc.exit(1); }
  };
  proc.on('uncaughtException', (e) => die('uncaught exception', e));
  proc.on('unhandledRejection', (e) => die('unhandled rejection', e));
}

function main(): void {
  if (!process.send) {
    process.stderr.write('featurevis engine-process: must be started with an IPC channel (child_process.fork)\n');
    process.exit(2);
  }
  let settings: SessionSettings = {};
  try { settings = JSON.parse(process.env.FEATUREVIS_ENGINE_SETTINGS ?? '{}'); } catch { /* defaults */ }
  const transport: Transport = {
    send: (m: Message) => { process.send?.(m); },
    onMessage: (l) => { process.on('message', l as (m: unknown) => void); return () => process.off('message', l as (m: unknown) => void); },
  };
  serveEngine(transport, settings);
  process.on('disconnect', () => { log('host disconnected; exiting'); process.exit(0); });
  installCrashHandlers(process, log);
  log(`started (pid ${process.pid}, node ${process.version}, settings ${JSON.stringify(settings)})`);
}

if (require.main === module || process.env.FEATUREVIS_ENGINE_MAIN === '1') main();

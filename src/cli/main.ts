#!/usr/bin/env node
/**
 * `featurevis`: the headless CLI over the same engine the extension runs in its background process.
 * Subcommands: layers, methods, predict, explain, figure, check, reconstruct, train-inverter, evaluate, demo (see `featurevis help`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine, methodParams } from '../engine/engine';
import { FeatureVisError, invalidParams } from '../engine/errors';
import { parseRegion } from '../engine/dense-targets';
import { defaultDisplay } from '../protocol/render';
import { parseArgs, num, required, str, type Args } from './args';
import { checkOutPath, loadInput, loadPhotos, writeResult } from './io';
import { DISPLAY_FLAGS, DISPLAY_HELP, displayFromFlags } from './display-flags';
import { flagSchema, paramsFromFlags, targetFrom } from './method-flags';
import { reconstruct } from './reconstruct';

export { paramsFromFlags } from './method-flags';

const HELP = `featurevis — explain CNN decisions (ONNX models; default: embedded EfficientNet-Lite0 ImageNet classifier)

  featurevis demo [--out-dir DIR]                 the comparison figure (figure.png, figure.svg) of two bundled
                                                  photos × gradient, guided backprop, LRP, Grad-CAM, occlusion
  featurevis layers [MODEL]                       tensors with shapes and op types
  featurevis methods                              methods and their parameters
  featurevis predict [--model M] --input I [--top 5]
  featurevis explain [--model M] --input I --method NAME [--target T] [--region Y0,X0,Y1,X1] [--layer TENSOR]
                     [--eps E] [--alpha A --beta B] [--<param> V ...] --out out.npy|out.png [--repeat N]
                     ${DISPLAY_HELP}
  featurevis figure --inputs a.png,b.png --methods gradient,guided-backprop,lrp-epsilon,cam,occlusion
                     [--models m1.onnx,m2.onnx] [--target T] [--shared-scale] [--cell-width PX] [display flags]
                     [--<param> V ...] --out fig.png|fig.svg
                     rows: images (with the predicted class); columns: methods, or each model under each method;
                     every map with its colour bar (--shared-scale: one scale per method, its bar at the foot)
  featurevis check [--model M] [--input I] [--methods a,b] [--directions N] [--json]
                     compare every compiled method's backward pass with finite differences of the model;
                     names the op and node of any disagreement (exit code 3 when one is found)
  featurevis reconstruct [--model M] --method activation-max --target T [--size H,W] [--steps N] [--lr L]
                     [--optimizer adam|sgd] [--lp-weight W --lp-alpha A] [--tv-weight W --tv-beta B] [--fourier]
                     [--decorrelate] [--transforms] [--units 0-7] [--seed S] --out out.npy|out.png
  featurevis reconstruct --method invert --input I --layer TENSOR [...] --out out.npy|out.png
  featurevis reconstruct --method patch-replace --input I --layer TENSOR --database DIR --k K --out out.png
  featurevis train-inverter [--model M] --layer TENSOR --images DIR --out DIR [--epochs N] [--batch B] [--resume]
  featurevis reconstruct --method invert-generative --inverter DIR --input I --out out.png
  featurevis evaluate [--model M] --images DIR --methods a,b --metrics deletion,insertion --out results.jsonl
                     [--<param> V | --<method or metric>.<param> V ...] [--target T] [--seed S] [--limit N]
                     [--resume] [--shard i/n | --shards n with JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID]
                     one JSON line per image × method × metric (seeded: shards and resumed runs give the same lines)
  featurevis evaluate --merge 'results-*.jsonl' --out summary.csv [--plot summary.png|svg] [--merged all.jsonl]
                     n, mean, std, 95 % CI (Student t), min, max per method × metric, and a bar chart

  Inputs: a PNG/JPEG (decoded, resized, normalised as the model needs: built in for the default model, a sidecar
  MODEL.json otherwise), several comma-separated images (a batch), or a preprocessed float32 .npy in the model's
  input layout (NCHW, or NHWC for channels-last Keras/TensorFlow models).
  Targets: class:K, class:LABEL, unit:TENSOR:C, unit:TENSOR:C:Y:X, or a weights .npy shaped like an output tensor.
  Default target: each item's top class. --out .npy writes raw float32 relevance (input-shaped methods in the
  model's input layout); .png the map at the original image's size (the border the model's crop leaves out is
  hatched), in the method's default display: --display heatmap (the map alone), blend (over the photo), masked,
  alpha, outline (the top --outline-top % region), rgb (guided backprop's per-channel image), bw (magnitude);
  --sign all|positive|negative|absolute; values beyond --clip-mass P (the top P % of the total |relevance|, as
  Captum's outlier_perc; default 2) or --clip-percentile P (the top P % of pixels) saturate.
  Spatial outputs (segmentation (N,K,H,W), depth, heatmaps): class:K sums class K's logits over the pixels where
  the model predicts K (default: every pixel's predicted class); predict lists the classes present with their
  share of pixels. --region y0,x0,y1,x1 (input pixels, exclusive ends) restricts a class or unit:T:C target to a
  box, mapped to the output's grid when it is smaller (e.g. a stride-8 head).
  --threads N and FEATUREVIS_THREADS set onnxruntime's thread count.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const args = parseArgs(rest, new Set(['json', 'shared-scale', 'resume']));
  const threads = num(args, 'threads') ?? (process.env.FEATUREVIS_THREADS ? Number(process.env.FEATUREVIS_THREADS) : undefined);
  const engine = new Engine({ threads });
  try {
    const run = COMMANDS[command ?? 'help'];
    if (!run) throw invalidParams(`unknown command '${command}'. Run 'featurevis help'.`);
    await run(engine, args);
    return Number(process.exitCode ?? 0);
  } finally {
    await engine.dispose();
  }
}

/** A parameter error names the flag (`--layer is required: …`); others read as the engine words them. */
export function cliMessage(e: FeatureVisError): string {
  const { param, reason } = e.details;
  return param && reason ? `--${param} ${reason}` : e.message;
}

type Command = (engine: Engine, args: Args) => Promise<void>;

export const COMMANDS: Record<string, Command> = {
  help: async () => console.log(HELP),
  methods: async (engine) => {
    for (const m of engine.methods()) {
      console.log(`${m.id.padEnd(18)} ${m.title} — ${m.summary}`);
      for (const p of m.params) console.log(`    --${p.name.padEnd(10)} ${p.kind}${'default' in p && p.default !== undefined && !Number.isNaN(p.default) ? ` (default ${JSON.stringify(p.default)})` : ''}${p.help ? `: ${p.help}` : ''}`);
      const wraps = engine.method(m.id).wraps;
      if (wraps) console.log(`    and the parameters of the method --${wraps} names (e.g. --${wraps} lrp-epsilon --eps 0.1)`);
    }
  },
  layers: async (engine, args) => {
    const model = engine.open(args.positionals[0] ?? str(args, 'model'));
    const layers = await engine.layers(model);
    console.log(`${model.name}: input '${model.inputName}' [${model.inputShapeFor(1).join(', ')}]`);
    for (const l of layers) console.log(`${l.tensor.padEnd(48)} ${l.op.padEnd(20)} [${l.shape.join(', ')}]${l.params ? `  ${l.params} params` : ''}`);
  },
  predict: async (engine, args) => {
    const model = engine.open(str(args, 'model'));
    const input = loadInput(required(args, 'input', 'an image or .npy'), model);
    const preds = await engine.predict(model, input, num(args, 'top') ?? 5);
    if (args.flags.has('json')) return void console.log(JSON.stringify(preds));
    preds.forEach((row, b) => {
      if (preds.length > 1) console.log(`item ${b}:`);
      for (const p of row) {
        const share = p.fraction !== undefined ? `  (${(100 * p.fraction).toFixed(1)}% of pixels)` : '';
        console.log(`  ${(100 * p.probability).toFixed(2).padStart(6)}%  ${String(p.index).padStart(4)}  ${p.label ?? ''}${share}`);
      }
    });
  },
  explain: async (engine, args) => explain(engine, args),
  check: async (engine, args) => {
    const code = await (await import('./check')).checkCommand(engine, args);
    if (code !== 0) process.exitCode = code;
  },
  reconstruct: async (engine, args) => reconstruct(engine, args),
  'train-inverter': async (engine, args) => (await import('./train-inverter')).trainInverterCommand(engine, args),
  figure: async (engine, args) => (await import('./figure')).figureCommand(engine, args),
  evaluate: async (engine, args) => (await import('./evaluate')).evaluateCommand(engine, args),
  demo: async (engine, args) => {
    const { buildFigure, writeFigure } = await import('./figure');
    const outDir = str(args, 'out-dir') ?? 'featurevis-demo';
    fs.mkdirSync(outDir, { recursive: true });
    const samples = path.join(path.dirname(modelDir(engine)), 'samples');
    const inputs = DEMO_SAMPLES.map((f) => path.join(samples, f)).join(',');
    console.log(`${engine.open().name}: ${DEMO_METHODS.join(', ')} on ${DEMO_SAMPLES.join(', ')}`);
    const t0 = performance.now();
    const fig = await buildFigure(engine, parseArgs(['--inputs', inputs, '--methods', DEMO_METHODS.join(',')]), (line) => console.log(`  ${line}`));
    const outs = ['figure.png', 'figure.svg'].map((f) => path.join(outDir, f));
    for (const out of outs) writeFigure(fig, out);
    console.log(`${fig.width}×${fig.height} figure in ${((performance.now() - t0) / 1000).toFixed(1)} s → ${outs.join(', ')}`);
  },
};

/** The demo figure: two bundled photos, one method of each family (the paper's Fig. 3). */
const DEMO_SAMPLES = ['chelsea.png', 'coffee.png'];
const DEMO_METHODS = ['gradient', 'guided-backprop', 'lrp-composite', 'grad-cam', 'occlusion'];

function modelDir(engine: Engine): string {
  return path.dirname(engine.open().path);
}

const GLOBAL_FLAGS = new Set(['model', 'input', 'method', 'target', 'region', 'out', 'repeat', 'threads', 'json', ...DISPLAY_FLAGS]);

async function explain(engine: Engine, args: Args): Promise<void> {
  const methodId = required(args, 'method', `one of: ${engine.methods().map((m) => m.id).join(', ')}`);
  const method = engine.method(methodId);
  const schema = flagSchema(method, (id) => engine.method(id), args);
  for (const k of args.flags.keys()) {
    if (!GLOBAL_FLAGS.has(k) && !schema.some((p) => p.name === k)) {
      throw invalidParams(`--${k} is not an option of ${methodId} (its parameters: ${schema.map((p) => '--' + p.name).join(', ') || 'none'})`);
    }
  }
  const out = required(args, 'out', 'out.npy for raw float32 or out.png for an overlay');
  checkOutPath(out);
  const display = displayFromFlags(args, defaultDisplay(engine.methods().find((m) => m.id === methodId)!));
  const model = engine.open(str(args, 'model'));
  const input = loadInput(required(args, 'input', 'an image or .npy'), model);
  const target = targetFrom(args, model);
  const regionText = str(args, 'region');
  const region = regionText === undefined ? undefined : parseRegion(regionText);
  const params = paramsFromFlags(schema, args);
  // A .npy input is already in the model's tensor units (occlusion colours, bounds); images are in pixel units.
  const inputSpec = str(args, 'input') ?? '';
  if (schema.some((p) => p.name === 'units') && params.units === undefined && inputSpec.toLowerCase().endsWith('.npy')) params.units = 'tensor';
  methodParams(method, params);
  const repeat = num(args, 'repeat') ?? 0;
  const request = { model, input, method: methodId, params, target, region };
  let progressShown = false;
  const result = await engine.explain(request, undefined, (p) => {
    if (p.fraction !== undefined && process.stderr.isTTY) {
      process.stderr.write(`\r${(100 * p.fraction).toFixed(0)}%${p.etaMs ? `, ${(p.etaMs / 1000).toFixed(0)} s left` : ''}   `);
      progressShown = true;
    }
  });
  if (progressShown) process.stderr.write('\n');
  const photos = out.toLowerCase().endsWith('.png') ? loadPhotos(inputSpec, model.preprocessing()) : undefined;
  writeResult(out, input, result.relevance, model.preprocessing(), display, photos);
  console.log(`${methodId}: ${result.extras?.target ?? result.targetTensor}, target value ${result.targetValue.map((v) => v.toPrecision(5)).join(', ')} → ${out}`);
  if (repeat > 0) {
    const forward: number[] = [];
    const methodMs: number[] = [];
    for (let i = 0; i < repeat; i++) {
      let t0 = performance.now();
      await engine.forward(model, input);
      forward.push(performance.now() - t0);
      t0 = performance.now();
      await engine.explain(request);
      methodMs.push(performance.now() - t0);
    }
    process.stderr.write(JSON.stringify({ compile_ms: round(result.timings.compileMs), forward_ms: round(median(forward)), method_ms: round(median(methodMs)) }) + '\n');
  }
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const round = (v: number) => Math.round(v * 100) / 100;

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
    if (e instanceof FeatureVisError) process.stderr.write(`featurevis: ${cliMessage(e)}\n`);
    else process.stderr.write(`featurevis: internal error: ${(e as Error).message}\n${process.env.FEATUREVIS_DEBUG ? (e as Error).stack + '\n' : ''}`);
    process.exit(e instanceof FeatureVisError && e.code !== 'Internal' ? 2 : 1);
  });
}

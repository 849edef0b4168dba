#!/usr/bin/env node
/**
 * `featurevis`: the headless CLI over the same engine the extension runs in its background process.
 * Subcommands: layers, methods, predict, explain, figure, check, reconstruct, train-inverter, evaluate, demo; the
 * command line itself (options, help, did-you-mean) is program.ts, exit codes and error lines exit.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine, methodParams } from '../engine/engine';
import { FeatureVisError } from '../engine/errors';
import { parseRegion } from '../engine/dense-targets';
import { methods } from '../engine/methods';
import { metrics } from '../engine/metrics';
import type { CancellationToken } from '../engine/methods/run-context';
import { defaultDisplay } from '../protocol/render';
import { CommanderError } from 'commander';
import { parseArgs, num, required, str, unknownFlag, type Args } from './args';
import { checkOutPath, loadInput, loadPhotos, writeResult } from './io';
import { DISPLAY_FLAGS, displayFromFlags } from './display-flags';
import { flagSchema, paramsFromFlags, targetFrom } from './method-flags';
import { reconstruct } from './reconstruct';
import { buildProgram } from './program';
import { Interrupt, USAGE_EXIT, errorLine, exitCodeOf } from './exit';
import { TaskProgress, progressSink } from './progress';

export { paramsFromFlags } from './method-flags';
export { cliMessage } from './exit';

/** Commands that handle SIGINT/SIGTERM themselves (stop between results or batches, keep what is done). */
const OWN_SIGNALS = new Set(['evaluate', 'train-inverter']);

/** Runs the command line; returns the exit status (docs/cli.md). Runtime errors are thrown for the caller to print. */
export async function main(argv: string[]): Promise<number> {
  let status = 0;
  const program = buildProgram({ methods: () => methods.infos(), metrics: () => metrics.infos() }, async (name, args) => {
    status = await runCommand(name, args);
  });
  if (argv.length === 0) {
    process.stderr.write("featurevis: a command is needed; see 'featurevis --help'\n");
    return USAGE_EXIT;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    // --help, `help CMD` and --version end the parse with exit code 0; help shown for a missing command is a usage error.
    if (e.exitCode === 0) return 0;
    process.stderr.write(`featurevis: ${usageLine(e)}\n`);
    return USAGE_EXIT;
  }
  return status;
}

/** commander's message as one line: `unknown option '--epss' (did you mean --eps?)`. */
export function usageLine(e: CommanderError): string {
  if (e.code === 'commander.help') return "a command is needed; see 'featurevis --help'";
  return e.message.replace(/^error: /, '').replace(/\n\(Did you mean (.+)\?\)/, ' (did you mean $1?)').replace(/\s*\n\s*/g, ' ');
}

async function runCommand(name: string, args: Args): Promise<number> {
  const threads = num(args, 'threads') ?? (process.env.FEATUREVIS_THREADS ? Number(process.env.FEATUREVIS_THREADS) : undefined);
  const engine = new Engine({ threads });
  const interrupt = OWN_SIGNALS.has(name) ? undefined : new Interrupt();
  try {
    await COMMANDS[name](engine, args, interrupt?.token);
    return interrupt?.exitCode ?? Number(process.exitCode ?? 0);
  } catch (e) {
    if (interrupt?.exitCode && e instanceof FeatureVisError && e.code === 'Cancelled') return interrupt.exitCode;
    throw e;
  } finally {
    interrupt?.dispose();
    await engine.dispose();
  }
}

/** A command: the engine, its flags, and the token a first Ctrl-C sets (commands that handle signals get none). */
type Command = (engine: Engine, args: Args, token?: CancellationToken) => Promise<void>;

export const COMMANDS: Record<string, Command> = {
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
  explain: async (engine, args, token) => explain(engine, args, token),
  check: async (engine, args) => {
    const code = await (await import('./check')).checkCommand(engine, args);
    if (code !== 0) process.exitCode = code;
  },
  reconstruct: async (engine, args, token) => reconstruct(engine, args, token),
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

const GLOBAL_FLAGS = new Set(['model', 'input', 'method', 'target', 'region', 'out', 'repeat', 'threads', 'json', 'quiet', ...DISPLAY_FLAGS]);

async function explain(engine: Engine, args: Args, token?: CancellationToken): Promise<void> {
  const methodId = required(args, 'method', `one of: ${engine.methods().map((m) => m.id).join(', ')}`);
  const method = engine.method(methodId);
  const schema = flagSchema(method, (id) => engine.method(id), args);
  for (const k of args.flags.keys()) {
    if (!GLOBAL_FLAGS.has(k) && !schema.some((p) => p.name === k)) {
      throw unknownFlag(k, methodId, [...GLOBAL_FLAGS, ...schema.map((p) => p.name)], ` (its parameters: ${schema.map((p) => '--' + p.name).join(', ') || 'none'})`);
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
  // Methods that report progress (occlusion, RISE, integrated gradients' chunks, …) get a bar or log lines.
  const progress = new TaskProgress(progressSink(args.flags.has('quiet')), `${methodId}: `);
  const result = await engine.explain(request, token, progress.report).finally(() => progress.end());
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
    process.stderr.write(`featurevis: ${errorLine(e)}\n${process.env.FEATUREVIS_DEBUG && e instanceof Error ? e.stack + '\n' : ''}`);
    process.exit(exitCodeOf(e));
  });
}

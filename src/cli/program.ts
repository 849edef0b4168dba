/**
 * The `featurevis` command line on commander. Why commander: no dependencies of its own, typed, the most used
 * Node CLI library, generated `--help` for the program and every command, `--version`, and did-you-mean
 * suggestions for unknown commands and options (`showSuggestionAfterError`). Each command's own options are
 * declared here; the parameters of the chosen methods and metrics pass through as unknown tokens (args.ts) and
 * are checked by the command against their schemas, and their help is generated from those schemas (help.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, type AddHelpTextContext } from 'commander';
import { COLOR_MAPS, REDUCTIONS } from '../protocol/display';
import { DISPLAY_MODES, DISPLAY_OFFSETS, DISPLAY_SIGNS } from '../protocol/render';
import { invalidParams } from '../engine/errors';
import { parseArgs, type Args } from './args';
import { methodsHelp, metricsHelp, type Catalog } from './help';

declare const FEATUREVIS_VERSION: string | undefined;

/** The package's version: put in by the bundler (scripts/build-cli.mjs), else read from the checkout's package.json. */
export function version(): string {
  if (typeof FEATUREVIS_VERSION === 'string') return FEATUREVIS_VERSION;
  return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

const INPUTS = `

Inputs: a PNG/JPEG (decoded, resized, normalised as the model needs: built in for the default model, a sidecar
MODEL.json otherwise), several comma-separated images (a batch), or a preprocessed float32 .npy in the model's
input layout (NCHW, or NHWC for channels-last Keras/TensorFlow models).
Targets: class:K, class:LABEL, unit:TENSOR:C, unit:TENSOR:C:Y:X, or a weights .npy shaped like an output tensor
(default: each item's top class). Spatial outputs (segmentation, depth): class:K sums class K's logits where the
model predicts K; --region y0,x0,y1,x1 (input pixels, exclusive ends) restricts a class or unit target to a box.
FEATUREVIS_THREADS (or --threads) sets onnxruntime's thread count. Exit codes: 0 ok, 1 runtime error, 2 usage or
input error, 3 check found a disagreement, 130/143 interrupted (SIGINT/SIGTERM). See docs/cli.md.`;

type Opt = [flags: string, description: string];

const MODEL: Opt = ['--model <file>', 'an .onnx model (default: the embedded EfficientNet-Lite0 ImageNet classifier)'];
const THREADS: Opt = ['--threads <n>', "onnxruntime's thread count (default: FEATUREVIS_THREADS, else onnxruntime's)"];
const QUIET: Opt = ['--quiet', 'no progress on stderr'];
const JSON_OUT: Opt = ['--json', 'print the result as JSON'];
const TARGET: Opt = ['--target <spec>', 'class:K, class:LABEL, unit:TENSOR:C[:Y:X] or a weights .npy (default: the top class)'];
const DISPLAY: Opt[] = [
  ['--display <mode>', `how a PNG shows the map: ${DISPLAY_MODES.join('|')} (default: the method's)`],
  ['--sign <sign>', DISPLAY_SIGNS.join('|')],
  ['--clip-mass <P>', "saturate beyond the top P % of the total |relevance| (Captum's outlier_perc; default 2)"],
  ['--clip-percentile <P>', 'saturate the top P % of pixels instead'],
  ['--outline-top <P>', 'outline mode: the top P % region'],
  ['--reduce <how>', `channels to one map: ${REDUCTIONS.join('|')}`],
  ['--opacity <A>', 'blend opacity in [0, 1]'],
  ['--colormap <name>', COLOR_MAPS.join('|')],
  ['--offset <zero>', `where the colour scale's zero lies: ${DISPLAY_OFFSETS.join('|')}`],
];

interface Spec {
  name: string;
  args?: string;
  summary: string;
  options: Opt[];
  /** Takes method or metric parameters that commander cannot know statically. */
  params?: (catalog: Catalog, opts: Record<string, unknown>) => string;
  after?: string;
}

const attribution = (m: { output: string }) => m.output !== 'image';

export const SPECS: Spec[] = [
  { name: 'demo', summary: 'the comparison figure (figure.png, figure.svg) of two bundled photos × gradient, guided backprop, LRP, Grad-CAM, occlusion', options: [['--out-dir <dir>', 'where the figure goes (default featurevis-demo)'], THREADS] },
  { name: 'layers', args: '[model]', summary: 'tensors with shapes and op types', options: [MODEL, THREADS] },
  { name: 'methods', summary: 'methods and their parameters', options: [THREADS] },
  { name: 'predict', summary: "the model's top classes for an input", options: [MODEL, ['--input <file>', 'an image, comma-separated images or a .npy'], ['--top <k>', 'how many classes (default 5)'], JSON_OUT, THREADS] },
  {
    name: 'explain', summary: 'an attribution map (or any method) for an input', after: INPUTS,
    options: [MODEL, ['--input <file>', 'an image, comma-separated images (a batch) or a .npy'], ['--method <name>', 'the method (see below)'], TARGET,
      ['--region <y0,x0,y1,x1>', 'restrict a class or unit target to a box (input pixels)'], ['--out <file>', 'out.npy (raw float32 relevance) or out.png (the map at the photo\'s size)'],
      ['--repeat <n>', 'time N more runs (median forward and method ms on stderr)'], ...DISPLAY, JSON_OUT, QUIET, THREADS],
    params: (c, o) => methodsHelp(c, (m) => m.family !== 'reconstruction', o.method, o.of),
  },
  {
    name: 'figure', summary: "the paper's comparison figure: a row per image, a column per method (or per model under each method)",
    options: [['--inputs <files>', 'images separated by commas'], ['--methods <ids>', 'methods separated by commas'], MODEL, ['--models <files>', 'several models: a column per model under each method'],
      TARGET, ['--shared-scale', 'one scale per method, its colour bar at the foot'], ['--cell-width <px>', 'column width in [32, 2048]'], ['--out <file>', 'fig.png or fig.svg'], ...DISPLAY, THREADS],
    params: (c, o) => methodsHelp(c, attribution, o.methods, o.of),
  },
  {
    name: 'check', args: '[model]', summary: "compare every compiled method's backward pass with finite differences of the model (exit code 3 on a disagreement)",
    options: [MODEL, ['--input <file>', 'an image or .npy (default: seeded noise)'], ['--methods <ids>', 'only these methods'], ['--directions <n>', 'random directions for the whole-model check'], JSON_OUT, QUIET, THREADS],
  },
  {
    name: 'reconstruct', summary: 'an image from the model: activation-max, invert, patch-replace, invert-generative',
    options: [MODEL, ['--method <name>', 'a reconstruction method (default activation-max)'], TARGET, ['--size <H,W>', 'activation-max: the image size for a model without a fixed one'],
      ['--input <file>', 'the image to invert'], ['--out <file>', 'out.npy (the model-input tensor) or out.png'], JSON_OUT, QUIET, THREADS],
    params: (c, o) => methodsHelp(c, (m) => m.family === 'reconstruction', o.method),
  },
  {
    name: 'train-inverter', summary: 'train a generative inverter (Dosovitskiy & Brox) for one layer; Ctrl-C keeps the last finished epoch',
    options: [MODEL, ['--layer <tensor>', "the tensor whose features the decoder inverts (see 'featurevis layers')"], ['--images <dir>', 'a folder of PNG/JPEG training images'],
      ['--out <dir>', 'the directory the trained decoder is written to'], ['--epochs <n>', 'epochs'], ['--batch <b>', 'batch size'], ['--lr <rate>', 'learning rate'],
      ['--size <H,W>', 'input size for a model without a fixed one'], ['--seed <s>', 'seed'], ['--cache-mb <mb>', 'memory for cached (input, features) pairs'], ['--resume', 'continue the checkpoint in --out'], JSON_OUT, QUIET, THREADS],
  },
  {
    name: 'evaluate', summary: 'faithfulness metrics over a folder: one seeded JSON line per image × method × metric; --merge summarises shards',
    options: [MODEL, ['--images <dir>', 'a folder of PNG/JPEG images'], ['--methods <ids>', 'methods separated by commas'], ['--metrics <ids>', 'metrics separated by commas'],
      ['--out <file>', 'results.jsonl (with --merge: summary.csv)'], TARGET, ['--seed <s>', 'the run seed (default 0)'], ['--limit <n>', 'the first N images only'],
      ['--resume', 'continue --out, skipping the results it holds'], ['--shard <i/n>', 'this process\'s shard'], ['--shards <n>', 'shard count; the index from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID'],
      ['--merge <glob>', "merge results files, e.g. 'results-*.jsonl'"], ['--plot <file>', 'with --merge: a PNG/SVG bar chart'], ['--merged <file>', 'with --merge: all lines in one .jsonl'], QUIET, THREADS],
    params: (c, o) => methodsHelp(c, attribution, o.methods, o.of) + '\n' + metricsHelp(c, o.metrics),
  },
];

/** A command's parsed flags as the commands read them: commander's options, then the passed-through parameters. */
export function argsOf(cmd: Command): Args {
  const operands = cmd.args;
  const rest = parseArgs(operands);
  const flags = new Map<string, string | true>();
  for (const o of cmd.options) {
    const v: unknown = cmd.getOptionValue(o.attributeName());
    if (v !== undefined && o.long) flags.set(o.long.slice(2), v === true ? true : String(v));
  }
  for (const [k, v] of rest.flags) flags.set(k, v);
  // A single-dash token commander did not know is an unknown short option, not an argument (negative numbers pass).
  const short = rest.positionals.find((p) => /^-[^\d.-]/.test(p));
  if (short) throw invalidParams(`unknown option '${short}' (see 'featurevis ${cmd.name()} --help')`);
  return { positionals: rest.positionals, flags };
}

/**
 * The program: `run(command, args)` runs a command. Errors from commander (unknown command or option, a missing
 * value) are thrown as CommanderError (exitOverride) so main prints them as one line with exit code 2.
 */
export function buildProgram(catalog: Catalog, run: (command: string, args: Args) => Promise<void>): Command {
  const program = new Command('featurevis')
    .description('explain CNN decisions (ONNX models; default: the embedded EfficientNet-Lite0 ImageNet classifier)')
    .version(version(), '-V, --version', 'the version of featurevis')
    .helpOption('-h, --help', 'this help')
    .helpCommand('help [command]', "a command's help")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .addHelpText('after', INPUTS);
  for (const spec of SPECS) {
    const cmd = program.command(spec.args ? `${spec.name} ${spec.args}` : spec.name).description(spec.summary).helpOption('-h, --help', 'this help');
    for (const [flags, description] of spec.options) cmd.option(flags, description);
    if (spec.params) {
      const params = spec.params;
      // The method and metric flags depend on --method/--methods, so commander passes them through (args.ts).
      cmd.allowUnknownOption().allowExcessArguments();
      // Help lists them all, or those of the methods the line names (`explain --method lrp-epsilon --help`).
      const given = (c: Command) => ({ ...c.opts(), ...Object.fromEntries(parseArgs(c.args).flags) });
      cmd.addHelpText('after', (ctx: AddHelpTextContext) => params(catalog, given(ctx.command as Command)) + (spec.after ?? ''));
    } else if (spec.after) cmd.addHelpText('after', spec.after);
    cmd.action(() => run(spec.name, argsOf(cmd)));
  }
  return program;
}

/**
 * `featurevis train-inverter --model M --layer TENSOR --images DIR --out DIR [--epochs N] [--batch B] [--lr L]
 * [--size H,W] [--seed S] [--cache-mb MB] [--resume]`: trains a generative inverter (Dosovitskiy & Brox) for one
 * layer of the model and saves it in --out (a directory the user names; it is then passed to
 * `featurevis reconstruct --method invert-generative --inverter DIR`). Prints the loss after every epoch and a loss
 * curve at the end; Ctrl-C stops after the current batch and keeps the last finished epoch, which --resume continues.
 */
import type { Engine } from '../engine/engine';
import { invalidParams } from '../engine/errors';
import { trainInverter } from '../engine/reconstruct/inverter-train';
import { loadTf } from '../engine/reconstruct/tf';
import { num, required, str, unknownFlag, type Args } from './args';
import { TaskProgress, progressSink } from './progress';

const FLAGS = new Set(['model', 'layer', 'images', 'out', 'epochs', 'batch', 'lr', 'size', 'resume', 'seed', 'cache-mb', 'threads', 'json', 'quiet']);
const BARS = '▁▂▃▄▅▆▇█';

export function sparkline(v: number[]): string {
  if (v.length === 0) return '';
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  return v.map((x) => BARS[hi > lo ? Math.round(((x - lo) / (hi - lo)) * (BARS.length - 1)) : 0]).join('');
}

export async function trainInverterCommand(engine: Engine, args: Args): Promise<void> {
  for (const k of args.flags.keys()) if (!FLAGS.has(k)) throw unknownFlag(k, 'train-inverter', FLAGS, ` (its options: ${[...FLAGS].map((f) => '--' + f).join(', ')})`);
  const layer = required(args, 'layer', "the tensor whose features the decoder inverts; list them with 'featurevis layers'");
  const images = required(args, 'images', 'a folder of PNG/JPEG training images');
  const out = required(args, 'out', 'the directory the trained decoder is written to');
  const sizeText = str(args, 'size');
  let size: [number, number] | undefined;
  if (sizeText) {
    const hw = sizeText.split(',').map(Number);
    if (hw.length !== 2 || hw.some((v) => !Number.isInteger(v) || v < 1)) throw invalidParams(`--size must be H,W (two whole numbers), got '${sizeText}'`);
    size = [hw[0], hw[1]];
  }
  const model = engine.open(str(args, 'model'));
  const token = { isCancellationRequested: false };
  const onSignal = (sig: NodeJS.Signals) => {
    token.isCancellationRequested = true;
    // Interrupted: 128 + the signal's number, like the other commands (docs/cli.md).
    process.exitCode = sig === 'SIGTERM' ? 143 : 130;
    process.stderr.write(`\n${sig}: stopping after this batch; the last finished epoch stays saved (continue with --resume)\n`);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const bar = new TaskProgress(progressSink(args.flags.has('quiet')));
  const { pkg, backend } = await loadTf();
  console.log(`training a decoder for ${layer} of ${model.name} with ${pkg} (${backend} backend)`);
  try {
    const r = await trainInverter({
      model, layer, images, out, size, resume: args.flags.has('resume'), token,
      // Unset flags stay undefined: trainInverter fills TRAIN_DEFAULTS.
      epochs: num(args, 'epochs'), batch: num(args, 'batch'), lr: num(args, 'lr'), seed: num(args, 'seed'), cacheMb: num(args, 'cache-mb'),
      progress: (p) => {
        if (p.epochLoss === undefined) return bar.report({ fraction: (p.epoch - 1 + p.batch / p.batches) / p.epochs, message: p.message });
        bar.end();
        console.log(p.message);
      },
    });
    if (r.resumedFrom > 0) console.log(`resumed from epoch ${r.resumedFrom}`);
    for (const n of r.notes) console.log(`note: ${n}`);
    console.log(`loss curve ${sparkline(r.meta.loss)} ${r.meta.loss[0].toPrecision(4)} → ${r.meta.loss[r.meta.loss.length - 1].toPrecision(4)} (epoch ${r.meta.epoch}, ${r.imagesPerSecond.toFixed(1)} images/s)`);
    console.log(`saved to ${out}; reconstruct with: featurevis reconstruct${str(args, 'model') ? ` --model ${str(args, 'model')}` : ''} --method invert-generative --inverter ${out} --input IMAGE --out x.png`);
    if (args.flags.has('json')) console.log(JSON.stringify({ out, epoch: r.meta.epoch, loss: r.meta.loss, imagesPerSecond: r.imagesPerSecond, notes: r.notes }));
  } finally {
    bar.end();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

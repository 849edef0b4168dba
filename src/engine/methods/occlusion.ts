/**
 * Occlusion (Zeiler & Fergus 2014; random fills after Zhou et al. 2014): slide a box over the input with a fixed
 * stride, replace it with a fill, and record how the target changes. Box and stride are set per spatial axis;
 * 1-D inputs (N, C, L) use the first component. Window placement: src/engine/occlusion/windows.ts; fills and their
 * units: src/engine/occlusion/fills.ts.
 *
 * Output: relevance (N, 1, …spatial) = for each position the mean score of the windows covering it (0 where none
 * does: only when the stride exceeds the box); partial maps streamed through progress are NaN where not yet computed; extras.windows
 * (N, 1, rows, cols) = the score of each window; extras.windowRows / windowCols = window starts per axis.
 * Score: difference = target(original) − target(occluded); relative = difference / |target(original)|.
 *
 * Units of value/random fills (param `units`): `pixel` = 0–1 pixel values passed through the model's normalisation
 * (model.preprocessing()); `tensor` = the model's input units. `auto` (default) = pixel for image-shaped inputs
 * (N, C, H, W) whose channel count matches the preprocessing (1 or 3), tensor otherwise. The engine cannot tell an
 * image from a preprocessed .npy of the same shape: pass `units tensor` for .npy inputs whose values you think of in
 * tensor units.
 *
 * Channels-last (NHWC) image models: windows, fills and maps work on the (N, C, H, W) view of the input; each
 * batch is transposed back to the model's layout for its forward pass, so the maps equal those of the NCHW twin.
 *
 * `incremental` (Krypton, Nakandala et al. 2019; src/engine/occlusion/incremental-*.ts): `exact` (default) computes
 * each window's forward pass only over the region the window changes, layer by layer, from clean activations cached
 * once per image — the same maps as `off` (full recompute) up to float rounding; `approx` also caps each region at
 * τ (`approx-threshold`) of its map per axis, treating the rest as unchanged. Where it cannot apply (channels-last or
 * 1-D inputs, no layer with a patch rule, a target not depending on the input) occlusion runs in full and
 * extras.incrementalReason says why; extras.incremental is the mode that ran.
 */
import * as ort from 'onnxruntime-node';
import type { ExplainResult, TensorData } from '../../protocol/types';
import { runMethod } from './types';
import { choice, integer, number, pair, text, type ParamsOf } from './params';
import type { MethodRunContext } from './run-context';
import { cancelled, invalidInput, invalidParams, paramError } from '../errors';
import { resolveTarget } from '../targets';
import { CoverageMap, windowGrid, windowOrigin } from '../occlusion/windows';
import { makeFiller, parseFill, Prng, unitMap, type Filler, type Units } from '../occlusion/fills';
import { batchSize, targetSession } from '../occlusion/batching';
import { IncrementalRunner } from '../occlusion/incremental-runner';
import { isChannelsLast, nchwToNhwc, toChannelsFirst } from '../layout';

const MAX_SEED = 4294967295;
/** Minimum time between partial maps sent through progress (the last one is always sent). */
const PARTIAL_INTERVAL_MS = 100;

const PARAMS = [
  pair('box', 'Box (h, w)', { default: [16, 16], min: 1, integer: true, help: 'window size per axis; 1-D inputs use one value' }),
  pair('stride', 'Stride (h, w)', { default: [8, 8], min: 1, integer: true, help: 'step per axis; a last window sits flush with the far edge' }),
  text('fill', 'Fill', { default: 'value', help: 'value[:V1,…,VC] (grey 0.5 by default) | random | mean | blur[:SIGMA]' }),
  choice('units', 'Fill units', ['auto', 'pixel', 'tensor'], { default: 'auto', help: 'value/random fills in 0–1 pixel units (normalised) or tensor units; auto = pixel for images' }),
  choice('measure', 'Measure', ['difference', 'relative'], { default: 'difference', help: 'target(original) − target(occluded), or that divided by |target(original)|' }),
  integer('seed', 'Seed', { default: 0, min: 0, max: MAX_SEED, help: 'seed of the random fill' }),
  integer('batch', 'Batch', { default: 0, min: 0, help: 'windows per forward pass (0 = automatic)' }),
  choice('incremental', 'Incremental', ['exact', 'approx', 'off'], { default: 'exact', help: 'recompute only the region each window changes (exact: same maps), approx: capped at τ of each map, off: full recompute' }),
  number('approx-threshold', 'Approx threshold τ', { default: 0.4, min: 0.05, max: 1, step: 0.05, help: "approx only: Krypton's projective-field threshold, the largest region per layer as a fraction of its map" }),
] as const;

type OcclusionParams = ParamsOf<typeof PARAMS>;

/** A 1-D input takes one box/stride value: [v, v] from the pair, anything else is ambiguous. */
function perAxis(name: string, v: readonly [number, number], rank: number): number[] {
  if (rank !== 1) return [...v];
  if (v[0] !== v[1]) throw paramError(name, `takes one value on this 1-D input, got ${v.join(',')}`, `this input is 1-D, so ${name} takes one value, got ${v.join(',')}`);
  return [v[0]];
}

export function occlusionOptions(params: OcclusionParams, dims: number[]) {
  if (dims.length !== 3 && dims.length !== 4) {
    throw invalidInput(`occlusion needs an input (N, C, L) or (N, C, H, W); this one has shape [${dims.join(', ')}]`);
  }
  const size = dims.slice(2);
  const box = perAxis('box', params.box, size.length);
  const stride = perAxis('stride', params.stride, size.length);
  if (box.some((b, i) => b > size[i])) throw paramError('box', `${box.join('×')} is larger than the input (${size.join('×')})`);
  return { size, box, stride, fill: parseFill(params.fill), measure: params.measure, seed: params.seed, batch: params.batch, units: params.units };
}

/** Copies the (C, box) window at `origin` of a (C, H, W) row into `out`. */
function cropBox(row: Float32Array, out: Float32Array, C: number, size: number[], box: number[], origin: number[]): void {
  const [H, W] = size;
  let k = 0;
  for (let c = 0; c < C; c++) {
    for (let y = origin[0]; y < origin[0] + box[0]; y++) {
      const o = (c * H + y) * W + origin[1];
      out.set(row.subarray(o, o + box[1]), k);
      k += box[1];
    }
  }
}

/** Σ weights[item] ⊙ out[row] for one row of a batched output. */
function dot(out: Float32Array, row: number, w: Float32Array, item: number, per: number): number {
  let s = 0;
  const o = row * per;
  const b = item * per;
  for (let i = 0; i < per; i++) s += out[o + i] * w[b + i];
  return s;
}

async function run(ctx: MethodRunContext, params: OcclusionParams): Promise<ExplainResult> {
  const t0 = performance.now();
  const { model, token } = ctx;
  const pre = model.preprocessing();
  const channelsLast = isChannelsLast(ctx.input.dims, pre.layout);
  const input = toChannelsFirst(ctx.input, pre.layout);
  const opts = occlusionOptions(params, input.dims);
  const [N, C] = input.dims;
  const { size } = opts;
  const plane = size.reduce((a, b) => a * b, 1);
  const per = C * plane;
  const units: Units = opts.units !== 'auto' ? opts.units
    : size.length === 2 && C === (pre.channels === 'L' ? 1 : 3) ? 'pixel' : 'tensor';
  const map = unitMap(units, C, pre);
  if (opts.fill.kind === 'value' && opts.fill.values && opts.fill.values.length !== C) {
    throw invalidParams(`fill value has ${opts.fill.values.length} component${opts.fill.values.length === 1 ? '' : 's'} but the input has ${C} channel${C === 1 ? '' : 's'}; give one value per channel`);
  }

  const prepared = await model.prepare(ctx.input.dims, false);
  const target = resolveTarget(ctx.target, prepared.graph, prepared.shapes, model.labels);
  if (target.tensor === model.inputName) throw invalidParams('the target is the input itself; choose a class, a unit of a layer, or an output weighting');
  const perTarget = target.weights.data.length / N;
  const fixed = model.fixedBatch;
  const grid = windowGrid(size, opts.box, opts.stride);
  let incrementalReason: string | undefined;
  let runner: IncrementalRunner | undefined;
  if (params.incremental !== 'off') {
    if (channelsLast) incrementalReason = 'channels-last (NHWC) models run in full';
    else if (size.length !== 2) incrementalReason = '1-D inputs run in full';
    else {
      const r = await IncrementalRunner.create(model, { mode: params.incremental, tau: params['approx-threshold'], target: target.tensor, grid, dims: input.dims });
      if (r instanceof IncrementalRunner) runner = r;
      else incrementalReason = r.reason;
    }
  }
  const session = runner ? undefined : await targetSession(model, target.tensor);

  const forward = async (data: Float32Array, rows: number): Promise<Float32Array> => {
    const rowsData = data.length === rows * per ? data : data.subarray(0, rows * per);
    const feed = channelsLast
      ? new ort.Tensor('float32', nchwToNhwc(rowsData, [rows, C, ...size]), [rows, ...size, C])
      : new ort.Tensor('float32', rowsData, [rows, C, ...size]);
    const out = await session!.run({ [model.inputName]: feed }, [target.tensor]);
    const t = out[target.tensor];
    const result = t.data as Float32Array;
    if (result.length !== rows * perTarget) {
      throw invalidParams(`the target tensor '${target.tensor}' has ${result.length / rows} values per item in batched runs but ${perTarget} for the input; occlusion needs a target whose size per item does not depend on the batch`);
    }
    return result;
  };

  // Target on the clean input.
  const clean = runner ? await runner.clean(input.data) : await forward(input.data, N);
  const base: number[] = [];
  for (let b = 0; b < N; b++) base.push(dot(clean, b, target.weights.data, b, perTarget));
  if (opts.measure === 'relative') {
    const zero = base.findIndex((v) => v === 0);
    if (zero >= 0) throw invalidParams(`the relative change is undefined: the target is 0 for item ${zero}; use measure difference`);
  }
  const setupMs = performance.now() - t0;

  const jobs = N * grid.total;
  const B = batchSize(opts.batch, per, jobs, fixed);
  const rng = new Prng(opts.seed);
  const fillers: Filler[] = [];
  const fillerFor = (b: number): Filler => {
    // Built in item order as jobs reach them; the random stream is shared and drawn in job order.
    fillers[b] ??= makeFiller(opts.fill, input.data.subarray(b * per, (b + 1) * per), { channels: C, size, box: opts.box }, units, map, rng);
    return fillers[b];
  };
  // Incremental: rows hold only the filled window region (C, box h, box w); the full row is built in a scratch copy.
  const rowFloats = runner ? C * opts.box[0] * opts.box[1] : per;
  const buffers = [new Float32Array(B * rowFloats), new Float32Array(B * rowFloats)];
  const scratch = runner ? new Float32Array(per) : undefined;
  const scores = new Float32Array(jobs);
  const coverage = new CoverageMap(grid, N);
  const rowLen = size.length === 2 ? grid.counts[1] : Math.max(1, Math.min(grid.total, B));

  let built = 0;
  const build = (start: number) => {
    const buf = buffers[built++ % 2];
    const count = Math.min(B, jobs - start);
    // A fixed batch dimension: pad with clean copies, or repeats of the last window (their outputs are ignored).
    const rows = fixed ? B : count;
    const windows = new Int32Array(rows);
    const items = new Int32Array(rows);
    for (let r = 0; r < count; r++) {
      const j = start + r;
      const b = Math.floor(j / grid.total);
      const item = input.data.subarray(b * per, (b + 1) * per);
      windows[r] = j % grid.total;
      items[r] = b;
      const origin = windowOrigin(grid, windows[r]);
      if (!scratch) {
        const row = buf.subarray(r * per, (r + 1) * per);
        row.set(item);
        fillerFor(b).apply(row, origin);
        continue;
      }
      scratch.set(item);
      fillerFor(b).apply(scratch, origin);
      cropBox(scratch, buf.subarray(r * rowFloats, (r + 1) * rowFloats), C, size, opts.box, origin);
    }
    for (let r = count; r < rows; r++) {
      if (scratch) {
        buf.copyWithin(r * rowFloats, (count - 1) * rowFloats, count * rowFloats);
        windows[r] = windows[count - 1];
        items[r] = items[count - 1];
      } else buf.set(input.data.subarray(0, per), r * per);
    }
    return { buf, start, count, rows, windows, items };
  };

  const loopStart = performance.now();
  let lastPartial = -Infinity;
  let rowsSent = 0;
  let next: ReturnType<typeof build> | undefined = jobs > 0 ? build(0) : undefined;
  while (next) {
    if (token.isCancellationRequested) throw cancelled();
    const cur = next;
    const running = runner ? runner.run(cur.windows, cur.items, cur.buf, perTarget) : forward(cur.buf, cur.rows);
    // Fill the other buffer while this batch runs.
    const end = cur.start + cur.count;
    next = end < jobs ? build(end) : undefined;
    const out = await running;
    for (let r = 0; r < cur.count; r++) {
      const j = cur.start + r;
      const b = Math.floor(j / grid.total);
      const diff = base[b] - dot(out, r, target.weights.data, b, perTarget);
      const score = opts.measure === 'relative' ? diff / Math.abs(base[b]) : diff;
      scores[j] = score;
      coverage.add(b, j % grid.total, score);
    }
    const elapsed = performance.now() - loopStart;
    const fraction = end / jobs;
    const rowsDone = Math.floor(end / rowLen);
    const now = performance.now();
    const sendPartial = end === jobs || (rowsDone > rowsSent && now - lastPartial >= PARTIAL_INTERVAL_MS);
    if (sendPartial) {
      rowsSent = rowsDone;
      lastPartial = now;
    }
    ctx.progress({
      fraction,
      etaMs: (elapsed / end) * (jobs - end),
      message: `occlusion: ${end}/${jobs} windows`,
      ...(sendPartial ? { partial: { data: coverage.toArray(), dims: [N, 1, ...size] } } : {}),
    });
  }

  const windows: TensorData = { data: scores, dims: [N, 1, ...grid.counts] };
  return {
    method: 'occlusion',
    relevance: { data: coverage.toArray(0), dims: [N, 1, ...size] },
    targetValue: base,
    targetTensor: target.tensor,
    timings: { compileMs: setupMs, runMs: performance.now() - loopStart },
    extras: {
      target: target.description,
      windows,
      windowRows: grid.starts[0],
      ...(size.length === 2 ? { windowCols: grid.starts[1] } : {}),
      units,
      batch: [B],
      incremental: runner ? params.incremental : 'off',
      ...(incrementalReason ? { incrementalReason } : {}),
      ...(runner ? runner.extras() : {}),
    },
  };
}

export const method = runMethod({
  id: 'occlusion',
  title: 'Occlusion',
  family: 'occlusion',
  summary: 'slide a box over the input, fill it, and map how much the target drops (Zeiler & Fergus)',
  output: 'map',
  params: PARAMS,
  needs: 'forward',
  run,
});

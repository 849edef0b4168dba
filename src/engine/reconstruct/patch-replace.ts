/**
 * Nearest-neighbour patch replacement (Long, Zhang & Darrell 2014): a database of (feature vector at a layer,
 * receptive-field image patch) for every position of a folder of images; each position of the query is replaced by
 * the average of the patches of its k nearest database features (L2), and overlapping patches are averaged.
 *
 * Database cache: one file per (model file + size + mtime, layer, input size, folder, max-patches) under
 * `cache-dir` (default: the per-user cache folder, <cache>/patches, never inside the workspace). It records every image's name,
 * size and mtime and is rebuilt when any of them changes. Building streams one image at a time; at most
 * `max-patches` entries are kept (reservoir sampling, seeded), so memory is bounded for any folder size.
 * Patches are stored in model-input units; pixels of a receptive field outside the image are stored as NaN and
 * never pasted.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExplainResult } from '../../protocol/types';
import { integer, layer, path as pathParam, type ParamsOf } from '../methods/params';
import type { MethodRunContext } from '../methods/run-context';
import { cancelled, invalidInput, invalidParams } from '../errors';
import { loadImageFile } from '../preprocess';
import { receptiveField, type Geometry } from './receptive-field';
import { Rng } from './rng';
import { Runner } from './session';
import { cacheRoot, privateDir, writeFileAtomic } from '../private-files';

export const PATCH_PARAMS = [
  layer('layer', 'Layer', { required: true, help: 'the feature map whose positions are matched' }),
  pathParam('database', 'Image folder', { kind: 'folder', required: true, help: 'folder of images for the patch database' }),
  integer('k', 'Neighbours k', { default: 1, min: 1, max: 100 }),
  integer('max-patches', 'Database size cap', { default: 50000, min: 1, help: 'most (feature, patch) entries kept (reservoir sample)' }),
  pathParam('cache-dir', 'Cache folder', { kind: 'folder', help: 'where databases are cached (default: the per-user cache folder)' }),
  integer('seed', 'Seed', { default: 0, min: 0 }),
] as const;

/** '' for cache-dir means the default cache folder. */
export type PatchParams = ParamsOf<typeof PATCH_PARAMS>;

const IMAGE_EXT = /\.(png|jpe?g)$/i;
/** Memory for one patch database (features + patches, float32). */
const DB_BUDGET_BYTES = 2 ** 30;

export interface PatchDb {
  channels: number;
  patch: [number, number];
  count: number;
  features: Float32Array;
  patches: Float32Array;
  notes: string[];
}

interface Manifest {
  files: { name: string; size: number; mtimeMs: number }[];
}

export function listFolder(dir: string): { files: { name: string; size: number; mtimeMs: number }[]; notes: string[] } {
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch (e) {
    throw invalidInput(`cannot read the image folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const notes: string[] = [];
  const files: Manifest['files'] = [];
  for (const name of names) {
    const st = fs.statSync(path.join(dir, name), { throwIfNoEntry: false });
    if (!st || !st.isFile()) continue;
    if (!IMAGE_EXT.test(name)) {
      notes.push(`skipped ${name} (not a PNG or JPEG)`);
      continue;
    }
    files.push({ name, size: st.size, mtimeMs: st.mtimeMs });
  }
  if (files.length === 0) throw invalidInput(`the folder ${dir} has no PNG or JPEG images`);
  return { files, notes };
}

/** The per-user cache folder for patch databases, created private (0700) with its parent (see ../private-files.ts). */
export function defaultCacheDir(): string {
  return privateDir(path.join(privateDir(cacheRoot()), 'patches'));
}

export async function buildDatabase(ctx: MethodRunContext, opts: { layer: string; folder: string; dims: number[]; maxPatches: number; cacheDir: string; seed: number }): Promise<PatchDb & { geometry: Geometry; cached: boolean }> {
  const { model } = ctx;
  const folder = path.resolve(opts.folder);
  const { files, notes } = listFolder(folder);
  const prepared = await model.prepare(opts.dims, false);
  const [, c, H, W] = opts.dims;
  const geometry = receptiveField(prepared.graph, model.inputName, opts.layer, [H, W]);
  const runner = await Runner.open(model, 'features', opts.layer, opts.dims);
  const [, fc, fh, fw] = runner.targetDims.length === 4 ? runner.targetDims : [1, runner.targetDims[1], 1, 1];
  const st = fs.statSync(model.path);
  const key = crypto.createHash('sha1').update(JSON.stringify([model.path, st.size, st.mtimeMs, opts.layer, opts.dims, folder, opts.maxPatches, opts.seed])).digest('hex').slice(0, 20);
  const file = path.join(opts.cacheDir, `patches-${key}.bin`);
  const manifest: Manifest = { files };
  const cachedDb = readCache(file, manifest);
  if (cachedDb) return { ...cachedDb, notes: [...notes, ...cachedDb.notes], geometry, cached: true };

  const [ph, pw] = geometry.size.map((s, i) => Math.min(s, i === 0 ? H : W)) as [number, number];
  const psize = c * ph * pw;
  // Never more slots than positions the folder has, nor more than the memory budget holds (a deep layer's patch
  // is most of the image: 50 000 of them would need gigabytes).
  const budgetCap = Math.max(1, Math.floor(DB_BUDGET_BYTES / (4 * (psize + fc))));
  const cap = Math.min(opts.maxPatches, files.length * fh * fw, budgetCap);
  const budgetNote = cap === budgetCap && budgetCap < Math.min(opts.maxPatches, files.length * fh * fw)
    ? [`database capped at ${cap} patches of ${c}×${ph}×${pw} (${DB_BUDGET_BYTES / 2 ** 30} GiB budget)`] : [];
  const features = new Float32Array(cap * fc);
  const patches = new Float32Array(cap * psize);
  const rng = new Rng(opts.seed);
  let seen = 0;
  let count = 0;
  const readNotes: string[] = [...budgetNote];
  const t0 = performance.now();
  for (let f = 0; f < files.length; f++) {
    if (ctx.token.isCancellationRequested) throw cancelled();
    let img;
    try {
      img = loadImageFile(path.join(folder, files[f].name), model.preprocessing());
    } catch (e) {
      readNotes.push(`skipped ${files[f].name} (${(e as Error).message})`);
      continue;
    }
    if (img.dims[2] !== H || img.dims[3] !== W || img.dims[1] !== c) {
      readNotes.push(`skipped ${files[f].name} (decoded to [${img.dims.join(', ')}], the model needs [1, ${c}, ${H}, ${W}])`);
      continue;
    }
    const { target: phi } = await runner.run(img.data);
    for (let y = 0; y < fh; y++) {
      for (let x = 0; x < fw; x++) {
        seen++;
        const slot = count < cap ? count++ : rng.int(0, seen - 1);
        if (slot >= cap) continue;
        for (let ch = 0; ch < fc; ch++) features[slot * fc + ch] = phi[(ch * fh + y) * fw + x];
        extractPatch(img.data, c, H, W, geometry, y, x, ph, pw, patches.subarray(slot * psize, (slot + 1) * psize));
      }
    }
    const elapsed = performance.now() - t0;
    ctx.progress({ fraction: (f + 1) / files.length, etaMs: (elapsed / (f + 1)) * (files.length - f - 1), message: `patch database: ${f + 1}/${files.length} images` });
  }
  if (count === 0) throw invalidInput(`no readable images in ${folder}: ${readNotes.join('; ')}`);
  const db: PatchDb = { channels: fc, patch: [ph, pw], count, features: features.slice(0, count * fc), patches: patches.slice(0, count * psize), notes: readNotes };
  writeCache(file, manifest, db);
  return { ...db, notes: [...notes, ...readNotes], geometry, cached: false };
}

function extractPatch(x: Float32Array, c: number, H: number, W: number, g: Geometry, y: number, xx: number, ph: number, pw: number, out: Float32Array): void {
  const top = g.global ? 0 : g.offset[0] + y * g.jump[0];
  const left = g.global ? 0 : g.offset[1] + xx * g.jump[1];
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < ph; i++) {
      for (let j = 0; j < pw; j++) {
        const sy = top + i;
        const sx = left + j;
        out[(ch * ph + i) * pw + j] = sy >= 0 && sy < H && sx >= 0 && sx < W ? x[(ch * H + sy) * W + sx] : Number.NaN;
      }
    }
  }
}

function readCache(file: string, manifest: Manifest): PatchDb | undefined {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  try {
    const headLen = buf.readUInt32LE(0);
    const head = JSON.parse(buf.toString('utf8', 4, 4 + headLen));
    if (JSON.stringify(head.manifest) !== JSON.stringify(manifest)) return undefined;
    const start = 4 + headLen;
    const nf = head.count * head.channels;
    const body = new Float32Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + buf.length));
    return { channels: head.channels, patch: head.patch, count: head.count, notes: head.notes, features: body.slice(0, nf), patches: body.slice(nf) };
  } catch {
    return undefined;
  }
}

function writeCache(file: string, manifest: Manifest, db: PatchDb): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    let head = Buffer.from(JSON.stringify({ manifest, channels: db.channels, patch: db.patch, count: db.count, notes: db.notes }), 'utf8');
    const pad = (4 - ((4 + head.length) % 4)) % 4;
    head = Buffer.concat([head, Buffer.from(' '.repeat(pad))]);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(head.length);
    writeFileAtomic(file, [len, head, Buffer.from(db.features.buffer, db.features.byteOffset, db.features.byteLength), Buffer.from(db.patches.buffer, db.patches.byteOffset, db.patches.byteLength)]);
  } catch {
    // A cache that cannot be written only costs a rebuild next time.
  }
}

export async function patchReplace(ctx: MethodRunContext, p: PatchParams): Promise<ExplainResult> {
  const t0 = performance.now();
  const { layer, database: folder, k } = p;
  const [n, c, H, W] = ctx.input.dims;
  if (ctx.input.dims.length !== 4) throw invalidParams('patch replacement needs an image input (N, C, H, W)');
  const dims = [1, c, H, W];
  const db = await buildDatabase(ctx, { layer, folder, dims, maxPatches: p['max-patches'], cacheDir: p['cache-dir'] || defaultCacheDir(), seed: p.seed });
  if (k > db.count) throw invalidParams(`k = ${k} but the database has only ${db.count} patches`);
  const runner = await Runner.open(ctx.model, 'features', layer, dims);
  const compileMs = performance.now() - t0;
  const runStart = performance.now();
  const fc = db.channels;
  const [fh, fw] = runner.targetDims.length === 4 ? runner.targetDims.slice(2) : [1, 1];
  const [ph, pw] = db.patch;
  const psize = c * ph * pw;
  const out = new Float32Array(ctx.input.data.length);
  const dist: number[] = [];
  const plane = c * H * W;
  for (let b = 0; b < n; b++) {
    const x = ctx.input.data.subarray(b * plane, (b + 1) * plane);
    const { target: phi } = await runner.run(Float32Array.from(x));
    const sum = new Float64Array(plane);
    const cnt = new Float64Array(plane);
    const q = new Float32Array(fc);
    const bestD = new Float64Array(k);
    const bestI = new Int32Array(k);
    for (let y = 0; y < fh; y++) {
      if (ctx.token.isCancellationRequested) throw cancelled();
      for (let xx = 0; xx < fw; xx++) {
        for (let ch = 0; ch < fc; ch++) q[ch] = phi[(ch * fh + y) * fw + xx];
        bestD.fill(Infinity);
        bestI.fill(-1);
        for (let e = 0; e < db.count; e++) {
          let d = 0;
          const o = e * fc;
          for (let ch = 0; ch < fc && d < bestD[k - 1]; ch++) {
            const t = q[ch] - db.features[o + ch];
            d += t * t;
          }
          if (d < bestD[k - 1]) {
            let j = k - 1;
            while (j > 0 && bestD[j - 1] > d) {
              bestD[j] = bestD[j - 1];
              bestI[j] = bestI[j - 1];
              j--;
            }
            bestD[j] = d;
            bestI[j] = e;
          }
        }
        dist.push(Math.sqrt(bestD[0]));
        const top = db.geometry.global ? 0 : db.geometry.offset[0] + y * db.geometry.jump[0];
        const left = db.geometry.global ? 0 : db.geometry.offset[1] + xx * db.geometry.jump[1];
        for (let j = 0; j < k; j++) {
          const src = db.patches.subarray(bestI[j] * psize, (bestI[j] + 1) * psize);
          for (let ch = 0; ch < c; ch++) {
            for (let i = 0; i < ph; i++) {
              const sy = top + i;
              if (sy < 0 || sy >= H) continue;
              for (let jx = 0; jx < pw; jx++) {
                const sx = left + jx;
                const v = src[(ch * ph + i) * pw + jx];
                if (sx < 0 || sx >= W || Number.isNaN(v)) continue;
                sum[(ch * H + sy) * W + sx] += v;
                cnt[(ch * H + sy) * W + sx] += 1;
              }
            }
          }
        }
      }
      ctx.progress({ fraction: (b * fh + y + 1) / (n * fh), message: `replacing patches: row ${y + 1}/${fh}` });
    }
    const pre = ctx.model.preprocessing();
    for (let i = 0; i < plane; i++) {
      const ch = Math.floor(i / (H * W));
      out[b * plane + i] = cnt[i] > 0 ? sum[i] / cnt[i] : (0.5 - pre.mean[ch]) / pre.std[ch];
    }
  }
  const meanDist = dist.reduce((a, v) => a + v, 0) / dist.length;
  const g = db.geometry;
  return {
    method: 'patch-replace', relevance: { data: out, dims: ctx.input.dims }, targetValue: [meanDist], targetTensor: layer,
    timings: { compileMs, runMs: performance.now() - runStart },
    extras: {
      target: `patches at ${layer}`, nearest_distance: dist, database_patches: [db.count], patch_size: [ph, pw],
      receptive_field: g.global ? 'whole image' : `${g.size[0]}×${g.size[1]} px, stride ${g.jump[0]}×${g.jump[1]}, offset ${g.offset[0]},${g.offset[1]}`,
      cached: db.cached ? 'yes' : 'no',
      ...(db.notes.length ? { note: db.notes.join('; ') } : {}),
    },
  };
}


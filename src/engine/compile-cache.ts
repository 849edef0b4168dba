/**
 * The persistent compile cache (cold starts): per model file content, the probe's shapes and folded values, and
 * per compiled explanation the graph onnxruntime optimised, with the names and shapes of its graph inputs. A hit
 * skips the probe session, the compile and onnxruntime's graph optimisation. Entries live in the private cache
 * folder (never next to the user's files), are keyed by everything that changes them (model hash, plan, target,
 * input shape, layout, onnxruntime version, execution provider, CPU, FeatureVis's code) and bounded in size,
 * least recently used first. FEATUREVIS_COMPILE_CACHE_MB sets the bound (0: off).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { cacheRoot, privateDir, writeFileAtomic } from './private-files';
import { sha256File } from './reconstruct/file-hash';
import { ConstTensor } from './ir/tensor';
import type { ProbeResult } from './ir/probe';
import { tensorInput, type FeedValues, type GraphInput } from './graph-inputs';

/** Bumped whenever an entry's layout or meaning changes. */
const FORMAT = 1;
export const DEFAULT_CACHE_MB = 2048;
/** The saved graph is one protobuf (2 GB limit); larger compiled graphs are not cached. */
export const MAX_CACHED_GRAPH_BYTES = 1.8 * 1024 ** 3;

export interface CompileCache {
  dir: string;
  maxBytes: number;
}

/** The cache folder and bound, or undefined when off (FEATUREVIS_COMPILE_CACHE_MB=0, or the setting 0). */
export function compileCache(settingMB?: number, env: NodeJS.ProcessEnv = process.env): CompileCache | undefined {
  const fromEnv = env.FEATUREVIS_COMPILE_CACHE_MB !== undefined && env.FEATUREVIS_COMPILE_CACHE_MB !== '' ? Number(env.FEATUREVIS_COMPILE_CACHE_MB) : undefined;
  const mb = fromEnv ?? settingMB ?? DEFAULT_CACHE_MB;
  if (!Number.isFinite(mb) || mb <= 0) return undefined;
  return { dir: path.join(cacheRoot(env), 'compiled'), maxBytes: mb * 1024 * 1024 };
}

let code: string | undefined;
/**
 * Identifies FeatureVis's own code (bundle or sources: the sizes and mtimes of the .js/.ts files here and below),
 * so an edited rule or a new release never reads a graph compiled by other code.
 */
export function codeVersion(): string {
  if (code) return code;
  const h = crypto.createHash('sha256');
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && e.name !== 'node_modules') walk(p);
      else if (e.isFile() && /\.(js|ts|cjs|mjs)$/.test(e.name)) {
        const st = fs.statSync(p);
        h.update(`${p}\0${st.size}\0${st.mtimeMs}\n`);
      }
    }
  };
  walk(__dirname);
  code = h.digest('hex');
  return code;
}

/** A stable file name for an entry from everything that identifies it. */
export function entryKey(kind: 'probe' | 'graph', parts: readonly (string | number | undefined)[]): string {
  const cpu = `${os.platform()}-${os.arch()}-${os.cpus()[0]?.model ?? '?'}`;
  const all = [FORMAT, kind, ort.env.versions.node ?? ort.env.versions.common, cpu, codeVersion(), ...parts.map((p) => p ?? '')];
  return `${kind}-${crypto.createHash('sha256').update(JSON.stringify(all)).digest('hex').slice(0, 40)}`;
}

const HASHES = 'model-hashes.json';
const MAX_HASHES = 64;

/**
 * The model file's content hash. Hashing VGG-16's 553 MB costs half a second of a one-shot run, so it is also kept
 * across processes, keyed by what any write changes: device, inode, size, mtime and ctime (which no user can set).
 */
export function modelHash(c: CompileCache, file: string): string {
  const st = fs.statSync(file, { bigint: true });
  const id = [path.resolve(file), st.dev, st.ino, st.size, st.mtimeNs, st.ctimeNs].join(':');
  const store = path.join(dir(c), HASHES);
  let known: Record<string, string> = {};
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(store, 'utf8'));
    if (parsed && typeof parsed === 'object') known = parsed as Record<string, string>;
  } catch { /* none yet, or unreadable: rebuilt */ }
  const hit = known[id];
  if (typeof hit === 'string' && /^[0-9a-f]{64}$/.test(hit)) return hit;
  const sha = sha256File(file);
  const kept = Object.entries(known).filter(([k]) => !k.startsWith(`${path.resolve(file)}:`)).slice(-(MAX_HASHES - 1));
  writeFileAtomic(store, Buffer.from(JSON.stringify(Object.fromEntries([...kept, [id, sha]]))));
  return sha;
}

function dir(c: CompileCache): string {
  return privateDir(c.dir);
}

function touch(file: string): void {
  const now = new Date();
  try { fs.utimesSync(file, now, now); } catch { /* evicted meanwhile */ }
}

/** Removes an entry's files (a corrupted or unloadable entry, before recompiling it). */
export function dropEntry(c: CompileCache, key: string): void {
  for (const f of fs.readdirSync(c.dir)) if (f.startsWith(`${key}.`)) fs.rmSync(path.join(c.dir, f), { force: true });
}

// ---- probe results: a JSON header (shapes, element types, value layout) followed by the values' bytes ----

export function readProbe(c: CompileCache, key: string): ProbeResult | undefined {
  const file = path.join(dir(c), `${key}.probe`);
  let buf: Buffer;
  try { buf = fs.readFileSync(file); } catch { return undefined; }
  try {
    const n = buf.readUInt32LE(0);
    const head = JSON.parse(buf.subarray(4, 4 + n).toString('utf8')) as {
      format: number; shapes: [string, number[]][]; elemTypes: [string, number][]; values: [string, number, number[], number, number][];
    };
    if (head.format !== FORMAT) throw new Error('format');
    const body = 4 + n;
    const values = new Map<string, ConstTensor>();
    for (const [name, dt, dims, off, len] of head.values) {
      if (body + off + len > buf.byteLength) throw new Error('truncated');
      values.set(name, new ConstTensor(dt, dims, new Uint8Array(buf.subarray(body + off, body + off + len))));
    }
    touch(file);
    return { shapes: new Map(head.shapes), elemTypes: new Map(head.elemTypes), values };
  } catch {
    dropEntry(c, key);
    return undefined;
  }
}

export function writeProbe(c: CompileCache, key: string, probe: ProbeResult): void {
  const chunks: Uint8Array[] = [];
  const layout: [string, number, number[], number, number][] = [];
  let off = 0;
  for (const [name, t] of probe.values) {
    let bytes: Uint8Array;
    try { bytes = t.bytes(); } catch { return; } // an element type without a byte layout (strings): not cached
    layout.push([name, t.dataType, t.dims, off, bytes.byteLength]);
    chunks.push(bytes);
    off += bytes.byteLength;
  }
  const head = Buffer.from(JSON.stringify({ format: FORMAT, shapes: [...probe.shapes], elemTypes: [...probe.elemTypes], values: layout }), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(head.byteLength, 0);
  writeFileAtomic(path.join(dir(c), `${key}.probe`), [len, head, ...chunks]);
  evict(c);
}

// ---- compiled graphs: <key>.onnx (onnxruntime's optimised graph), its weights as external data
// (<key>.<random>.data: onnxruntime maps them rather than parsing them out of one protobuf, 2.8 → 1.1 s for
// VGG-16's gradient graph, and no 2 GB limit) and <key>.json (what feeding it needs), written last ----

export interface CompiledMeta {
  format: number;
  inputs: { name: string; shape: number[] }[];
  targetTensor: string;
  relevance: string;
  topIndex?: string;
  /** The .onnx and data files' sizes: a truncated file is a miss. */
  modelBytes: number;
  dataFile: string;
  dataBytes: number;
  /** The compiled graph's size before optimisation (what the session budget counts). */
  graphBytes: number;
}

/** A complete entry: its optimised graph's path and meta, or undefined (a corrupted one is removed). */
export function readCompiled(c: CompileCache, key: string): { file: string; meta: CompiledMeta } | undefined {
  const file = path.join(dir(c), `${key}.onnx`);
  const metaFile = path.join(c.dir, `${key}.json`);
  if (!fs.existsSync(metaFile)) return undefined;
  try {
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as CompiledMeta;
    const data = path.join(c.dir, path.basename(String(meta.dataFile)));
    if (meta.format !== FORMAT || !Array.isArray(meta.inputs) || !String(meta.dataFile).startsWith(`${key}.`)
      || fs.statSync(file).size !== meta.modelBytes || fs.statSync(data).size !== meta.dataBytes) throw new Error('stale');
    touch(data);
    touch(file);
    touch(metaFile);
    return { file, meta };
  } catch {
    dropEntry(c, key);
    return undefined;
  }
}

export interface PendingGraph {
  /** Where onnxruntime writes the optimised graph (a temporary of the private folder) … */
  model: string;
  /** … and its weights (the final name: the graph refers to it; unique, so a concurrent writer never truncates a file in use). */
  data: string;
  /** The session configuration entries (under extra.session) that make onnxruntime write them. */
  config: Record<string, string>;
}

export function pendingGraph(c: CompileCache, key: string): PendingGraph {
  const id = crypto.randomBytes(8).toString('hex');
  const data = `${key}.${id}.data`;
  return {
    model: path.join(dir(c), `.ort-${id}.onnx.tmp`), data: path.join(c.dir, data),
    config: { optimized_model_external_initializers_file_name: data, optimized_model_external_initializers_min_size_in_bytes: '1024' },
  };
}

export function discardPending(p: PendingGraph): void {
  fs.rmSync(p.model, { force: true });
  fs.rmSync(p.data, { force: true });
}

export function storeCompiled(c: CompileCache, key: string, p: PendingGraph, meta: Omit<CompiledMeta, 'format' | 'modelBytes' | 'dataFile' | 'dataBytes'>): void {
  try {
    const modelBytes = fs.statSync(p.model).size;
    const dataBytes = fs.statSync(p.data).size;
    fs.chmodSync(p.model, 0o600);
    fs.chmodSync(p.data, 0o600);
    for (const f of fs.readdirSync(c.dir)) if (f.startsWith(`${key}.`) && f.endsWith('.data') && f !== path.basename(p.data)) fs.rmSync(path.join(c.dir, f), { force: true });
    fs.renameSync(p.model, path.join(c.dir, `${key}.onnx`));
    writeFileAtomic(path.join(c.dir, `${key}.json`), Buffer.from(JSON.stringify({ ...meta, format: FORMAT, modelBytes, dataFile: path.basename(p.data), dataBytes })));
  } catch (e) {
    discardPending(p);
    throw e;
  }
  evict(c);
}

/** Keeps the folder within its bound: whole entries, least recently used (oldest mtime) first; stale temporaries go. */
export function evict(c: CompileCache): void {
  const entries = new Map<string, { bytes: number; mtimeMs: number; files: string[] }>();
  let total = 0;
  for (const name of fs.readdirSync(c.dir)) {
    const p = path.join(c.dir, name);
    let st: fs.Stats;
    try { st = fs.statSync(p); } catch { continue; }
    if (name.startsWith('.')) {
      if (Date.now() - st.mtimeMs > 3600_000) fs.rmSync(p, { force: true });
      continue;
    }
    if (name === HASHES) continue;
    const key = name.split('.')[0];
    const e = entries.get(key) ?? { bytes: 0, mtimeMs: 0, files: [] };
    e.bytes += st.size;
    e.mtimeMs = Math.max(e.mtimeMs, st.mtimeMs);
    e.files.push(p);
    entries.set(key, e);
    total += st.size;
  }
  for (const e of [...entries.values()].sort((a, b) => a.mtimeMs - b.mtimeMs)) {
    if (total <= c.maxBytes) break;
    for (const f of e.files) fs.rmSync(f, { force: true });
    total -= e.bytes;
  }
}

// ---- graph inputs: rebuilt by name on a hit, and cached only where the rebuilt ones feed exactly like the compiler's ----

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function rebindOne(name: string, shape: number[]): GraphInput {
  if (name === 'fv_target_weight') return tensorInput(name, shape, (v) => v.weights);
  if (name === 'fv_class_select') return tensorInput(name, shape, (v) => v.dense?.select);
  if (name === 'fv_region') return tensorInput(name, shape, (v) => v.dense?.region);
  if (name === 'fv_top') return { name, shape, bind: (v) => Float32Array.of(v.top ? 1 : 0) };
  if (name === 'fv_low' || name === 'fv_high') {
    const which = name === 'fv_low' ? 'low' : 'high';
    const n = size(shape);
    return {
      name, shape, bind: ({ params, pixelBounds }) => {
        const given = params[which];
        if (typeof given === 'number' && Number.isFinite(given)) return new Float32Array(n).fill(given);
        const fallback = pixelBounds?.[which] ?? [which === 'low' ? 0 : 1];
        return Float32Array.from({ length: n }, (_, i) => fallback[i] ?? fallback[0]);
      },
    };
  }
  const param = name.replace(/^fv_/, '');
  return {
    name, shape, bind: ({ params }) => {
      const v = params[param];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${param} must be set`);
      return Float32Array.of(v);
    },
  };
}

export function rebindInputs(descs: readonly { name: string; shape: number[] }[]): GraphInput[] {
  return descs.map((d) => rebindOne(d.name, d.shape));
}

/** Feed values that exercise every branch of the known binds (numbers per name, then pixel bounds, nothing set). */
function samples(inputs: readonly GraphInput[]): FeedValues[] {
  const shapeOf = (n: string) => inputs.find((i) => i.name === n)?.shape ?? [1];
  const ramp = (shape: number[], k: number) => ({ data: Float32Array.from({ length: size(shape) }, (_, i) => (i * 7 + k) % 13 - 6), dims: shape });
  const numbered = new Proxy({}, { get: (_, p) => (typeof p === 'string' ? p.length * 0.37 + p.charCodeAt(0) * 0.01 : undefined) });
  const dense = { select: ramp(shapeOf('fv_class_select'), 1), region: ramp(shapeOf('fv_region'), 2) };
  return [
    { params: numbered, weights: ramp(shapeOf('fv_target_weight'), 3), top: true, dense, pixelBounds: { low: [-1.5, -2, -2.5], high: [1.5, 2, 2.5] } },
    { params: {}, top: false, pixelBounds: { low: [-0.5], high: [0.5] } },
    { params: {} },
  ];
}

function attempt(f: () => Float32Array): Float32Array | 'throws' {
  try { return f(); } catch { return 'throws'; }
}

/** Whether rebindInputs reproduces these (the compiler's) inputs: the same values for every sample, or both throw. */
export function rebindable(inputs: readonly GraphInput[]): boolean {
  const re = rebindInputs(inputs.map((i) => ({ name: i.name, shape: i.shape })));
  return samples(inputs).every((v) => inputs.every((orig, k) => {
    const a = attempt(() => orig.bind(v));
    const b = attempt(() => re[k].bind(v));
    if (a === 'throws' || b === 'throws') return a === b;
    return a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
  }));
}

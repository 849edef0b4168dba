/**
 * Region arithmetic for incremental occlusion (Krypton, Nakandala et al. 2019). Each spatial axis is handled on its
 * own. A region of a tensor is, per window, a start along the axis and one size shared by all windows (the max over
 * them), so one graph serves every batch; starts are clamped so the region lies inside the map. A region larger
 * than the changed area is still exact: its extra positions are recomputed from unchanged values.
 */

/** One spatial axis of a sliding-window op (Conv, MaxPool, AveragePool). */
export interface WindowAxis {
  kernel: number;
  stride: number;
  dilation: number;
  /** Padding before the first input position (after auto_pad is resolved). */
  padBegin: number;
}

/** A region along one axis: `size` positions from starts[w] for grid window w, inside a map of `full` positions. */
export interface AxisRegion {
  size: number;
  full: number;
  starts: Int32Array;
}

export type Region = [AxisRegion, AxisRegion];

const span = (ax: WindowAxis) => ax.dilation * (ax.kernel - 1) + 1;

/**
 * The output positions [lo, hi) of a window op whose receptive field meets the input positions [a, b): output o
 * reads padded input o·s … o·s + d(k−1), i.e. input o·s − pad … o·s − pad + d(k−1). Clamped to [0, outSize); may
 * be empty (lo ≥ hi) when a strided kernel skips [a, b).
 */
export function affected(a: number, b: number, ax: WindowAxis, outSize: number): [number, number] {
  const lo = Math.ceil((a + ax.padBegin - (span(ax) - 1)) / ax.stride);
  const hi = Math.floor((b - 1 + ax.padBegin) / ax.stride) + 1;
  return [Math.max(0, lo), Math.min(outSize, hi)];
}

/** First input position (may be negative: padding) read by output `o`. */
export function cropStart(o: number, ax: WindowAxis): number {
  return o * ax.stride - ax.padBegin;
}

/** Input positions read by `size` consecutive outputs (run with pads 0 on a crop of this length, they give `size`). */
export function cropLength(size: number, ax: WindowAxis): number {
  return (size - 1) * ax.stride + span(ax);
}

/**
 * Places per-window ranges [lo[w], hi[w]) in a map of `full` positions with one size: the largest range (at least 1),
 * capped at `cap` when given (Krypton's projective-field threshold: the centre of a wider range is kept), starts
 * clamped into the map. Without a cap each placed region contains its range.
 */
export function place(lo: Int32Array, hi: Int32Array, full: number, cap?: number): AxisRegion {
  let size = 1;
  for (let w = 0; w < lo.length; w++) size = Math.max(size, hi[w] - lo[w]);
  size = Math.min(size, full);
  const capped = cap !== undefined && size > cap ? Math.max(1, Math.min(cap, full)) : undefined;
  if (capped !== undefined) size = capped;
  const starts = new Int32Array(lo.length);
  for (let w = 0; w < lo.length; w++) {
    let s = lo[w];
    if (capped !== undefined && hi[w] - lo[w] > size) s = lo[w] + Math.floor((hi[w] - lo[w] - size) / 2);
    starts[w] = Math.max(0, Math.min(s, full - size));
  }
  return { size, full, starts };
}

/** The output region of a window op given its input region. */
export function windowRegion(input: AxisRegion, ax: WindowAxis, outSize: number, cap?: number): AxisRegion {
  const n = input.starts.length;
  const lo = new Int32Array(n);
  const hi = new Int32Array(n);
  for (let w = 0; w < n; w++) [lo[w], hi[w]] = affected(input.starts[w], input.starts[w] + input.size, ax, outSize);
  return place(lo, hi, outSize, cap);
}

/** The smallest common region containing each window's regions of several tensors of the same map size. */
export function unionRegion(parts: AxisRegion[], cap?: number): AxisRegion {
  const n = parts[0].starts.length;
  const lo = new Int32Array(n).fill(2 ** 30);
  const hi = new Int32Array(n);
  for (const p of parts) {
    for (let w = 0; w < n; w++) {
      lo[w] = Math.min(lo[w], p.starts[w]);
      hi[w] = Math.max(hi[w], p.starts[w] + p.size);
    }
  }
  return place(lo, hi, parts[0].full, cap);
}

export function sameRegion(a: AxisRegion, b: AxisRegion): boolean {
  if (a === b) return true;
  if (a.size !== b.size || a.full !== b.full) return false;
  for (let w = 0; w < a.starts.length; w++) if (a.starts[w] !== b.starts[w]) return false;
  return true;
}

/** The region of the crop a window op reads for its output region (starts may be negative or run past the map). */
export function cropRegion(out: AxisRegion, ax: WindowAxis, inFull: number): AxisRegion {
  const starts = out.starts.map((o) => cropStart(o, ax));
  return { size: cropLength(out.size, ax), full: inFull, starts };
}

/** Fraction of the map a region covers. */
export function coverage(r: Region): number {
  return (r[0].size * r[1].size) / (r[0].full * r[1].full);
}

/**
 * Gather indices (int32, row-major over rows · crop.h · crop.w) building a crop of a tensor from
 * data = [clean (items · H · W rows) ; patch (rows · h · w rows) ; one pad row]: positions inside the window's patch
 * read the patch, other in-map positions the clean map of the window's item, positions outside the map the pad row.
 * `windows[r]` is the grid window of row r, `items[r]` its batch item.
 */
export function cropIndices(crop: Region, source: Region, items: number, windows: ArrayLike<number>, itemOf: ArrayLike<number>, out?: Int32Array): Int32Array {
  const [cy, cx] = crop;
  const [sy, sx] = source;
  const H = sy.full;
  const W = sx.full;
  const rows = windows.length;
  const patchBase = items * H * W;
  const pad = patchBase + rows * sy.size * sx.size;
  const per = cy.size * cx.size;
  const idx = out && out.length === rows * per ? out : new Int32Array(rows * per);
  for (let r = 0; r < rows; r++) {
    const w = windows[r];
    const clean = itemOf[r] * H * W;
    const patch = patchBase + r * sy.size * sx.size;
    const y0 = cy.starts[w];
    const x0 = cx.starts[w];
    const py = sy.starts[w];
    const px = sx.starts[w];
    let k = r * per;
    for (let i = 0; i < cy.size; i++) {
      const y = y0 + i;
      const yIn = y >= 0 && y < H;
      const yPatch = y >= py && y < py + sy.size;
      for (let j = 0; j < cx.size; j++, k++) {
        const x = x0 + j;
        if (!yIn || x < 0 || x >= W) idx[k] = pad;
        else if (yPatch && x >= px && x < px + sx.size) idx[k] = patch + (y - py) * sx.size + (x - px);
        else idx[k] = clean + y * W + x;
      }
    }
  }
  return idx;
}

/** A region covering the whole map for every window (materialising a patched tensor). */
export function fullRegion(full: number, windows: number): AxisRegion {
  return { size: full, full, starts: new Int32Array(windows) };
}

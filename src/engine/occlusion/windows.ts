/**
 * Window placement for occlusion. Along each spatial axis of size S with box B and stride s, windows start at
 * 0, s, 2s, … while they fit (start + B ≤ S); when (S − B) is not a multiple of s one more window is placed flush
 * with the far edge (start S − B), so every position is covered by at least one window as long as the stride does not
 * exceed the box (a larger stride leaves gaps, which the final per-position map sets to 0). Windows of a 2-D input are
 * the cartesian product of the row and column starts, enumerated row-major (rows outer, columns inner).
 */

export function windowStarts(size: number, box: number, stride: number): number[] {
  const starts: number[] = [];
  for (let p = 0; p + box <= size; p += stride) starts.push(p);
  const last = starts[starts.length - 1];
  if (last + box < size) starts.push(size - box);
  return starts;
}

export interface WindowGrid {
  /** Spatial size of the input (1 or 2 axes). */
  size: number[];
  box: number[];
  stride: number[];
  /** Starts per axis. */
  starts: number[][];
  /** Windows per axis (the per-window map's spatial shape). */
  counts: number[];
  /** Total windows. */
  total: number;
}

export function windowGrid(size: number[], box: number[], stride: number[]): WindowGrid {
  const starts = size.map((s, i) => windowStarts(s, box[i], stride[i]));
  const counts = starts.map((s) => s.length);
  return { size, box, stride, starts, counts, total: counts.reduce((a, b) => a * b, 1) };
}

/** The start of window `w` (row-major index) along each axis. */
export function windowOrigin(g: WindowGrid, w: number): number[] {
  if (g.size.length === 1) return [g.starts[0][w]];
  const cols = g.counts[1];
  return [g.starts[0][Math.floor(w / cols)], g.starts[1][w % cols]];
}

/**
 * Accumulates window scores into a per-position map: each position gets the mean of the scores of the windows
 * covering it (NaN while none of them is done, for partial maps).
 */
export class CoverageMap {
  private readonly sum: Float64Array;
  private readonly count: Uint32Array;
  readonly plane: number;

  constructor(private readonly g: WindowGrid, readonly items: number) {
    this.plane = g.size.reduce((a, b) => a * b, 1);
    this.sum = new Float64Array(items * this.plane);
    this.count = new Uint32Array(items * this.plane);
  }

  add(item: number, w: number, score: number): void {
    const o = windowOrigin(this.g, w);
    const base = item * this.plane;
    if (this.g.size.length === 1) {
      for (let x = o[0]; x < o[0] + this.g.box[0]; x++) {
        this.sum[base + x] += score;
        this.count[base + x]++;
      }
      return;
    }
    const W = this.g.size[1];
    for (let y = o[0]; y < o[0] + this.g.box[0]; y++) {
      const row = base + y * W;
      for (let x = o[1]; x < o[1] + this.g.box[1]; x++) {
        this.sum[row + x] += score;
        this.count[row + x]++;
      }
    }
  }

  /**
   * (N, 1, …size) float32. `uncovered` is written where no finished window covers a position: NaN for partial maps
   * (not computed yet); 0 for the final map (only possible when the stride exceeds the box, leaving gaps).
   */
  toArray(uncovered = NaN): Float32Array {
    const out = new Float32Array(this.sum.length);
    for (let i = 0; i < out.length; i++) out[i] = this.count[i] ? this.sum[i] / this.count[i] : uncovered;
    return out;
  }
}

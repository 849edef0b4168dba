/**
 * RISE masks (Petsiuk et al. 2018), deterministic so a reference can rebuild them: for mask i, from one Rng(seed)
 * stream (reconstruct/rng.ts, mulberry32) drawn in this order — s·s uniforms u (row-major; the cell is kept, 1,
 * when u < p, else 0), then the shift dy = rng.int(0, cellH − 1), then dx = rng.int(0, cellW − 1). The s×s grid is
 * upsampled bilinearly (half-pixel centres, clamped edges: torch's interpolate align_corners=False) to
 * (s + 1)·cell with cell = ⌈H/s⌉ × ⌈W/s⌉, and the mask is its H×W window at (dy, dx).
 */
import { Rng } from '../reconstruct/rng';
import { axisTable } from './bilinear';

export interface MaskSpec { cells: number; p: number; seed: number; height: number; width: number }

export class RiseMasks {
  private readonly rng: Rng;
  private readonly cellH: number;
  private readonly cellW: number;
  private readonly ty: ReturnType<typeof axisTable>;
  private readonly tx: ReturnType<typeof axisTable>;
  private readonly grid: Float64Array;

  constructor(readonly spec: MaskSpec) {
    const { cells: s, height: H, width: W } = spec;
    this.rng = new Rng(spec.seed);
    this.cellH = Math.ceil(H / s);
    this.cellW = Math.ceil(W / s);
    this.ty = axisTable(s, (s + 1) * this.cellH, 'half-pixel');
    this.tx = axisTable(s, (s + 1) * this.cellW, 'half-pixel');
    this.grid = new Float64Array(s * s);
  }

  /** The next mask (H×W, values in [0, 1]) into `out`. */
  next(out: Float32Array): Float32Array {
    const { cells: s, p, height: H, width: W } = this.spec;
    for (let i = 0; i < s * s; i++) this.grid[i] = this.rng.next() < p ? 1 : 0;
    const dy = this.rng.int(0, this.cellH - 1);
    const dx = this.rng.int(0, this.cellW - 1);
    const { ty, tx, grid } = this;
    for (let y = 0; y < H; y++) {
      const Y = y + dy;
      const r0 = ty.i0[Y] * s, r1 = ty.i1[Y] * s, fy = ty.f[Y];
      for (let x = 0; x < W; x++) {
        const X = x + dx;
        const fx = tx.f[X];
        const top = (1 - fx) * grid[r0 + tx.i0[X]] + fx * grid[r0 + tx.i1[X]];
        const bottom = (1 - fx) * grid[r1 + tx.i0[X]] + fx * grid[r1 + tx.i1[X]];
        out[y * W + x] = (1 - fy) * top + fy * bottom;
      }
    }
    return out;
  }
}

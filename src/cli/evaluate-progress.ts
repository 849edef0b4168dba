/**
 * Progress of a dataset run on stderr: on a terminal one bar line rewritten in place (done/total, rate, ETA);
 * otherwise (a log file, a scheduler's output) a plain line at each 5 % mark, or after 10 s without one.
 */

export interface ProgressSink {
  write(text: string): void;
  isTTY: boolean;
}

const BAR = 24;

export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

export class ProgressBar {
  private readonly t0: number;
  private lastLine = -Infinity;
  /** The last 5 % mark a line was written at (-1: none yet, so the first result gets a line). */
  private lastMark = -1;
  private shown = false;

  constructor(private readonly total: number, private readonly out: ProgressSink, private readonly now: () => number = () => performance.now(), private readonly label = '') {
    this.t0 = now();
  }

  /** `done` finished results (fractional within the current one). */
  update(done: number, force = false): void {
    const t = this.now();
    const elapsed = t - this.t0;
    const fraction = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const rate = elapsed > 0 ? done / (elapsed / 1000) : 0;
    const eta = rate > 0 ? ((this.total - done) / rate) * 1000 : Infinity;
    const count = `${Math.floor(done)}/${this.total}`;
    const tail = `${rate >= 10 ? rate.toFixed(0) : rate.toPrecision(2)}/s, ${done >= this.total ? `${duration(elapsed)} in all` : `ETA ${duration(eta)}`}`;
    if (this.out.isTTY) {
      // At most ten redraws a second however often the engine reports.
      if (!force && t < this.lastLine + 100) return;
      this.lastLine = t;
      const filled = Math.round(fraction * BAR);
      this.out.write(`\r${this.label}[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${count} ${(100 * fraction).toFixed(0)}%  ${tail}\x1b[K`);
      this.shown = true;
      return;
    }
    // A log gets whole results only (the engine's progress within one result would only add noise).
    const mark = Math.floor(fraction * 20 + 1e-9);
    if (!Number.isInteger(done) || (!force && mark <= this.lastMark && t < this.lastLine + 10_000)) return;
    this.lastLine = t;
    this.lastMark = mark;
    this.out.write(`${this.label}${count} (${(100 * fraction).toFixed(0)}%), ${tail}\n`);
  }

  /** Ends the bar's line (a terminal) so later output starts on its own line. */
  end(): void {
    if (this.shown) this.out.write('\n');
    this.shown = false;
  }
}

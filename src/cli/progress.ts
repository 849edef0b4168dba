/**
 * Progress of every long CLI run, on stderr: on a terminal one bar line rewritten in place (at most ten redraws a
 * second); otherwise (a log file, a scheduler's output) a plain line at each 5 % mark, or after 10 s without one.
 * `ProgressBar` counts results (evaluate); `TaskProgress` follows the engine's Progress reports (a fraction, a
 * message and an ETA: occlusion, RISE, reconstruction, training). `--quiet` gives them the silent sink.
 */
import type { Progress } from '../protocol/types';

export interface ProgressSink {
  write(text: string): void;
  isTTY: boolean;
}

/** Where progress goes: stderr, or nowhere with --quiet. */
export function progressSink(quiet: boolean): ProgressSink {
  if (quiet) return { write: () => undefined, isTTY: false };
  return { write: (s) => void process.stderr.write(s), isTTY: Boolean(process.stderr.isTTY) };
}

const BAR = 24;
/** A log line at least this often while something runs, even between 5 % marks. */
const LOG_INTERVAL_MS = 10_000;
const TTY_INTERVAL_MS = 100;

export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

const bar = (fraction: number) => {
  const filled = Math.round(fraction * BAR);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}]`;
};

/** The write policy both kinds share: redraws on a terminal, 5 % marks or 10 s in a log. */
class Lines {
  private lastLine = -Infinity;
  /** The last 5 % mark a line was written at (-1: none yet, so the first report gets a line). */
  private lastMark = -1;
  private shown = false;

  constructor(private readonly out: ProgressSink, private readonly now: () => number) {}

  /** `text` for a terminal's bar line and for a log line; whether a log line is due is decided here. */
  write(fraction: number | undefined, force: boolean, tty: () => string, log: () => string): void {
    const t = this.now();
    if (this.out.isTTY) {
      if (!force && t < this.lastLine + TTY_INTERVAL_MS) return;
      this.lastLine = t;
      this.out.write(`\r${tty()}\x1b[K`);
      this.shown = true;
      return;
    }
    const mark = fraction === undefined ? this.lastMark : Math.floor(fraction * 20 + 1e-9);
    if (!force && mark <= this.lastMark && t < this.lastLine + LOG_INTERVAL_MS) return;
    this.lastLine = t;
    this.lastMark = mark;
    this.out.write(`${log()}\n`);
  }

  /** Ends the bar's line (a terminal) so later output starts on its own line. */
  end(): void {
    if (this.shown) this.out.write('\n');
    this.shown = false;
  }
}

/** Progress through a known number of results: done/total, rate and ETA. */
export class ProgressBar {
  private readonly t0: number;
  private readonly lines: Lines;

  constructor(private readonly total: number, private readonly out: ProgressSink, private readonly now: () => number = () => performance.now(), private readonly label = '') {
    this.t0 = now();
    this.lines = new Lines(out, now);
  }

  /** `done` finished results (fractional within the current one). */
  update(done: number, force = false): void {
    // A log gets whole results only (the engine's progress within one result would only add noise).
    if (!this.out.isTTY && !Number.isInteger(done)) return;
    const elapsed = this.now() - this.t0;
    const fraction = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const rate = elapsed > 0 ? done / (elapsed / 1000) : 0;
    const eta = rate > 0 ? ((this.total - done) / rate) * 1000 : Infinity;
    const count = `${Math.floor(done)}/${this.total}`;
    const tail = `${rate >= 10 ? rate.toFixed(0) : rate.toPrecision(2)}/s, ${done >= this.total ? `${duration(elapsed)} in all` : `ETA ${duration(eta)}`}`;
    const pct = `${(100 * fraction).toFixed(0)}%`;
    this.lines.write(fraction, force, () => `${this.label}${bar(fraction)} ${count} ${pct}  ${tail}`, () => `${this.label}${count} (${pct}), ${tail}`);
  }

  end(): void {
    this.lines.end();
  }
}

/**
 * One long engine run (an explanation, a reconstruction, a training): the engine's own words (`occlusion: 120/400
 * windows`) with the fraction done and its ETA. A report without a fraction is shown as a message only.
 */
export class TaskProgress {
  private readonly lines: Lines;

  constructor(out: ProgressSink, private readonly label = '', now: () => number = () => performance.now()) {
    this.lines = new Lines(out, now);
  }

  /** An engine Progress report (its partial maps and results are the panel's, not the terminal's). */
  readonly report = (p: Pick<Progress, 'fraction' | 'message' | 'etaMs'>): void => {
    if (p.fraction === undefined && !p.message) return;
    const fraction = p.fraction === undefined ? undefined : Math.max(0, Math.min(1, p.fraction));
    // The engine's message often names the method already (`occlusion: 8/40 windows`): no label twice.
    const label = p.message?.startsWith(this.label) ? '' : this.label;
    const words = [p.message, p.etaMs !== undefined && fraction !== undefined && fraction < 1 ? `ETA ${duration(p.etaMs)}` : undefined].filter(Boolean).join(', ');
    const pct = fraction === undefined ? '' : `${(100 * fraction).toFixed(0)}%`;
    this.lines.write(fraction, fraction === 1, () => `${label}${fraction === undefined ? '' : `${bar(fraction)} ${pct}  `}${words}`, () => `${label}${[pct, words].filter(Boolean).join('  ')}`);
  };

  end(): void {
    this.lines.end();
  }
}

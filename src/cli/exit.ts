/**
 * The CLI's exit codes (docs/cli.md) and its one-line error messages: 0 ok, 1 a runtime error, 2 a usage or input
 * error (the command line, or a file or value it names, is wrong), 3 `check` found a disagreement, 130/143 stopped
 * by SIGINT/SIGTERM (128 + the signal's number, as a shell reports a killed process).
 */
import { FeatureVisError } from '../engine/errors';
import type { CancellationToken } from '../engine/methods/run-context';

export const RUNTIME_EXIT = 1;
export const USAGE_EXIT = 2;

/** Errors that say the user's command line or input is wrong (fixable by running it differently). */
const USAGE_CODES = new Set(['InvalidParams', 'InvalidInput', 'ModelLoadFailed']);

/** A parameter error names the flag (`--layer is required: …`); others read as the engine words them. */
export function cliMessage(e: FeatureVisError): string {
  const { param, reason } = e.details;
  return param && reason ? `--${param} ${reason}` : e.message;
}

/** One line, never a stack trace (FEATUREVIS_DEBUG=1 adds it). */
export function errorLine(e: unknown): string {
  if (e instanceof FeatureVisError) return cliMessage(e).replace(/\s*\n\s*/g, ' ');
  const err = e as NodeJS.ErrnoException;
  // A system error (a file that cannot be written, a full disk) is the environment's, not a bug.
  if (err && typeof err.code === 'string' && typeof err.syscall === 'string') return err.message;
  return `internal error: ${err instanceof Error ? err.message : String(e)}`.replace(/\s*\n\s*/g, ' ');
}

export function exitCodeOf(e: unknown): number {
  return e instanceof FeatureVisError && USAGE_CODES.has(e.code) ? USAGE_EXIT : RUNTIME_EXIT;
}

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Ctrl-C (or SIGTERM) during a command: the first cancels its run through the token (the engine stops at its next
 * check and the command ends with 130/143); a second exits at once.
 */
export class Interrupt {
  readonly token: { isCancellationRequested: boolean } & CancellationToken = { isCancellationRequested: false };
  private signal: NodeJS.Signals | undefined;
  private readonly handler = (sig: NodeJS.Signals) => {
    if (this.signal) process.exit(SIGNAL_EXIT[sig]);
    this.signal = sig;
    this.token.isCancellationRequested = true;
    process.stderr.write(`\n${sig}: stopping (again to quit at once)\n`);
  };

  constructor() {
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
  }

  /** 130/143 once a signal came, else undefined. */
  get exitCode(): number | undefined {
    return this.signal ? SIGNAL_EXIT[this.signal] : undefined;
  }

  dispose(): void {
    process.off('SIGINT', this.handler);
    process.off('SIGTERM', this.handler);
  }
}

/** The FeatureVis output channel, error notifications (cancellation silent) and the command guard. */
import * as vscode from 'vscode';
import { RpcError } from '../protocol/rpc';
import type { ParamSpec } from '../protocol/types';
import { errorCode, errorMessage } from './errors';

/** Lines kept for `recent()`: an output channel cannot be read back (the extension-host tests read the log). */
const RECENT_LINES = 1000;

export class Log {
  readonly channel = vscode.window.createOutputChannel('FeatureVis');
  private readonly kept: string[] = [];
  line(s: string): void {
    this.kept.push(s);
    if (this.kept.length > RECENT_LINES) this.kept.shift();
    this.channel.appendLine(s);
  }
  /** The last lines written. */
  recent(): string[] { return [...this.kept]; }
  dispose(): void { this.channel.dispose(); }
}

/** Logs and shows an error with a "Show Log" action; `params` words parameter errors by their labels. */
export async function showError(log: Log, what: string, e: unknown, params?: readonly ParamSpec[]): Promise<void> {
  const code = errorCode(e);
  if (code === 'Cancelled') return;
  const msg = `FeatureVis: ${what}: ${errorMessage(e, params)}`;
  log.line(`[error] ${msg}${e instanceof Error && !(e instanceof RpcError) && e.stack ? `\n${e.stack}` : ''}`);
  const pick = await vscode.window.showErrorMessage(msg, 'Show Log');
  if (pick === 'Show Log') log.channel.show(true);
}

/** Wraps a command so that an exception never escapes into the extension host. */
export function guarded<A extends unknown[]>(log: Log, what: string, f: (...a: A) => unknown): (...a: A) => Promise<void> {
  return async (...a: A) => {
    try { await f(...a); } catch (e) { await showError(log, what, e); }
  };
}

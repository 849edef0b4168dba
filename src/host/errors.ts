/** One place that turns typed errors into clear messages (cancellation silent) and logs the rest. */
import * as vscode from 'vscode';
import { RpcError } from '../protocol/rpc';

export class Log {
  readonly channel = vscode.window.createOutputChannel('FeatureVis');
  line(s: string): void { this.channel.appendLine(s); }
  dispose(): void { this.channel.dispose(); }
}

export function errorCode(e: unknown): string {
  return e instanceof RpcError ? e.code : (e as { code?: string })?.code ?? 'Internal';
}

export function errorMessage(e: unknown): string {
  if (e instanceof RpcError) {
    const p = e.payload;
    if (p.code === 'UnsupportedOp') return `${p.message}${p.working?.length ? ` — methods that work on this model: ${p.working.join(', ')}` : ''}`;
    return p.message;
  }
  return (e as Error)?.message ?? String(e);
}

export async function showError(log: Log, what: string, e: unknown): Promise<void> {
  const code = errorCode(e);
  if (code === 'Cancelled') return;
  const msg = `FeatureVis: ${what}: ${errorMessage(e)}`;
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

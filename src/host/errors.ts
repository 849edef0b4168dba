/**
 * Typed errors worded for VS Code users. No `vscode` import (unit-tested); notifications and the log are in
 * log.ts. Parameter errors name the control the user sees: `<the parameter's label> <reason>`.
 */
import { RpcError } from '../protocol/rpc';
import type { ErrorPayload, ParamSpec } from '../protocol/types';

export function errorCode(e: unknown): string {
  return e instanceof RpcError ? e.code : (e as { code?: string })?.code ?? 'Internal';
}

/** An engine parameter error in the panel's words; undefined when `p` is no such error or names no known parameter. */
export function paramErrorText(p: ErrorPayload, params: readonly ParamSpec[] = []): string | undefined {
  if (p.code !== 'InvalidParams' || !p.param || !p.reason) return undefined;
  const spec = params.find((s) => s.name === p.param);
  return spec ? `${spec.label} ${p.reason}` : undefined;
}

/** The message for the user; `params` (the method's declared parameters) words parameter errors by their labels. */
export function errorMessage(e: unknown, params?: readonly ParamSpec[]): string {
  if (e instanceof RpcError) {
    const p = e.payload;
    if (p.code === 'UnsupportedOp') return `${p.message}${p.working?.length ? ` — methods that work on this model: ${p.working.join(', ')}` : ''}`;
    return paramErrorText(p, params) ?? p.message;
  }
  return (e as Error)?.message ?? String(e);
}

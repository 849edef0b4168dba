/**
 * A small typed request/notification RPC with cancellation and progress, used between the extension host and the
 * background engine process.
 *
 * Why our own instead of vscode-jsonrpc: vscode-jsonrpc serialises every message to a JSON string with a
 * Content-Length header. Our payloads are large Float32Arrays (a 224² RGB relevance map is 600 kB of floats); as
 * JSON they become megabytes of decimal text, cost tens of milliseconds to encode/decode on each side, and lose
 * their type (a Float32Array comes back as an array of numbers or `{ "0": …}`). Node's `child_process.fork` with
 * `serialization: 'advanced'` carries messages by structured clone (the V8 serializer), so typed arrays cross
 * intact and cheaply — but then the transport is "post an object", not "write a byte stream", which is what this
 * file builds on. It stays tiny: request ids are strings, every request gets exactly one answer (a result or a
 * typed ErrorPayload, also when a handler throws), `$/cancel` and `$/progress` are notifications.
 *
 * No imports outside src/protocol: this file runs in the host, the engine process and tests alike.
 */
import type { ErrorPayload, ErrorCode } from './types';

/** A descriptor ties a method name to its parameter and result types (checked at compile time only). */
export interface RequestType<P, R, Pr = never> {
  readonly method: string;
  /** Phantom fields, never set: they carry the types. */
  readonly _p?: P;
  readonly _r?: R;
  readonly _pr?: Pr;
}
export interface NotificationType<P> {
  readonly method: string;
  readonly _p?: P;
}
export const request = <P, R, Pr = never>(method: string): RequestType<P, R, Pr> => ({ method });
export const notification = <P>(method: string): NotificationType<P> => ({ method });

export type Message =
  | { kind: 'request'; id: string; method: string; params: unknown }
  | { kind: 'response'; id: string; result?: unknown; error?: ErrorPayload }
  | { kind: 'notification'; method: string; params: unknown };

/** Anything that can post structured-clone messages both ways (a forked child, `process`, a MessagePort). */
export interface Transport {
  send(message: Message): void;
  onMessage(listener: (message: Message) => void): () => void;
}

export interface CancellationToken {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): () => void;
}

export class CancellationSource {
  private cancelled = false;
  private readonly listeners = new Set<() => void>();
  readonly token: CancellationToken;
  constructor() {
    const isCancelled = () => this.cancelled;
    const listeners = this.listeners;
    this.token = {
      get isCancellationRequested() { return isCancelled(); },
      onCancellationRequested(l) {
        if (isCancelled()) { l(); return () => undefined; }
        listeners.add(l);
        return () => { listeners.delete(l); };
      },
    };
  }
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    for (const l of [...this.listeners]) l();
    this.listeners.clear();
  }
}

/** A failed request: carries the typed payload from the other side. */
export class RpcError extends Error {
  constructor(readonly payload: ErrorPayload) {
    super(payload.message);
  }
  get code(): ErrorCode { return this.payload.code; }
}

export const CANCEL = '$/cancel';
export const PROGRESS = '$/progress';
/** Answered by every connection as soon as its event loop is free: the host's heartbeat (engineClient.ts). */
export const Ping = request<Record<string, never>, true>('$/ping');

export function isMessage(x: unknown): x is Message {
  if (!x || typeof x !== 'object') return false;
  const m = x as Record<string, unknown>;
  if (m.kind === 'request') return typeof m.id === 'string' && typeof m.method === 'string';
  if (m.kind === 'response') return typeof m.id === 'string';
  if (m.kind === 'notification') return typeof m.method === 'string';
  return false;
}

/** Converts anything thrown into a typed payload: objects with `toPayload()` or a known `code` keep theirs. */
export function toErrorPayload(e: unknown): ErrorPayload {
  if (e instanceof RpcError) return e.payload;
  if (e && typeof e === 'object') {
    const any = e as { toPayload?: () => ErrorPayload; code?: unknown; message?: unknown };
    if (typeof any.toPayload === 'function') {
      try { return any.toPayload(); } catch { /* fall through */ }
    }
    const known: ErrorCode[] = ['UnsupportedOp', 'InvalidParams', 'InvalidInput', 'ModelLoadFailed', 'Cancelled', 'EngineCrashed', 'Internal'];
    if (typeof any.code === 'string' && (known as string[]).includes(any.code)) {
      return { code: any.code as ErrorCode, message: String(any.message ?? any.code) };
    }
    if (typeof any.message === 'string') return { code: 'Internal', message: any.message };
  }
  return { code: 'Internal', message: String(e) };
}

export interface HandlerContext<Pr> {
  token: CancellationToken;
  progress(value: Pr): void;
}
type Handler = (params: unknown, ctx: HandlerContext<unknown>) => unknown;

export interface RequestOptions<Pr> {
  token?: CancellationToken;
  onProgress?: (value: Pr) => void;
}

export class RpcConnection {
  private seq = 0;
  private readonly prefix: string;
  private readonly pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void; onProgress?: (v: unknown) => void }>();
  private readonly handlers = new Map<string, Handler>();
  private readonly notificationHandlers = new Map<string, (params: unknown) => void>();
  private readonly running = new Map<string, CancellationSource>();
  private readonly unlisten: () => void;
  private closed = false;

  constructor(private readonly transport: Transport, prefix = 'r') {
    this.prefix = prefix;
    this.unlisten = transport.onMessage((m) => this.dispatch(m));
    this.handlers.set(Ping.method, () => true);
  }

  onRequest<P, R, Pr>(type: RequestType<P, R, Pr>, handler: (params: P, ctx: HandlerContext<Pr>) => R | Promise<R>): void {
    this.handlers.set(type.method, handler as Handler);
  }

  onNotification<P>(type: NotificationType<P>, handler: (params: P) => void): void {
    this.notificationHandlers.set(type.method, handler as (p: unknown) => void);
  }

  notify<P>(type: NotificationType<P>, params: P): void {
    this.post({ kind: 'notification', method: type.method, params });
  }

  sendRequest<P, R, Pr>(type: RequestType<P, R, Pr>, params: P, options: RequestOptions<Pr> = {}): Promise<R> {
    const id = `${this.prefix}${++this.seq}`;
    return new Promise<R>((resolve, reject) => {
      if (this.closed) return reject(new RpcError({ code: 'EngineCrashed', message: 'the connection is closed' }));
      if (options.token?.isCancellationRequested) return reject(new RpcError({ code: 'Cancelled', message: 'cancelled' }));
      // Assigned once below, after `done` (which reads it) is defined.
      // eslint-disable-next-line prefer-const
      let off: (() => void) | undefined;
      const done = (f: () => void) => { off?.(); this.pending.delete(id); f(); };
      this.pending.set(id, {
        resolve: (v) => done(() => resolve(v as R)),
        reject: (e) => done(() => reject(e)),
        onProgress: options.onProgress as ((v: unknown) => void) | undefined,
      });
      off = options.token?.onCancellationRequested(() => this.post({ kind: 'notification', method: CANCEL, params: { id } }));
      try {
        this.post({ kind: 'request', id, method: type.method, params });
      } catch (e) {
        this.pending.get(id)?.reject(new RpcError({ code: 'EngineCrashed', message: `could not send '${type.method}': ${(e as Error).message}` }));
      }
    });
  }

  /** Fails every pending request (e.g. the other side died) and stops listening. */
  close(error: ErrorPayload = { code: 'EngineCrashed', message: 'the connection closed' }): void {
    if (this.closed) return;
    this.closed = true;
    this.unlisten();
    for (const p of [...this.pending.values()]) p.reject(new RpcError(error));
    this.pending.clear();
    for (const c of this.running.values()) c.cancel();
  }

  get pendingCount(): number { return this.pending.size; }

  private post(m: Message): void {
    if (this.closed) return;
    this.transport.send(m);
  }

  private dispatch(m: unknown): void {
    if (!isMessage(m)) return;
    if (m.kind === 'response') {
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.error) p.reject(new RpcError(m.error));
      else p.resolve(m.result);
    } else if (m.kind === 'notification') {
      if (m.method === CANCEL) {
        const id = (m.params as { id?: unknown })?.id;
        if (typeof id === 'string') this.running.get(id)?.cancel();
      } else if (m.method === PROGRESS) {
        const pr = m.params as { id?: unknown; value?: unknown };
        if (typeof pr?.id === 'string') this.pending.get(pr.id)?.onProgress?.(pr.value);
      } else {
        try { this.notificationHandlers.get(m.method)?.(m.params); } catch { /* a notification has no answer */ }
      }
    } else {
      void this.handle(m.id, m.method, m.params);
    }
  }

  private async handle(id: string, method: string, params: unknown): Promise<void> {
    const handler = this.handlers.get(method);
    if (!handler) {
      this.post({ kind: 'response', id, error: { code: 'InvalidParams', message: `unknown method '${method}'` } });
      return;
    }
    const source = new CancellationSource();
    this.running.set(id, source);
    try {
      const result = await handler(params, {
        token: source.token,
        progress: (value) => { if (!source.token.isCancellationRequested) this.post({ kind: 'notification', method: PROGRESS, params: { id, value } }); },
      });
      if (source.token.isCancellationRequested) this.post({ kind: 'response', id, error: { code: 'Cancelled', message: 'cancelled' } });
      else this.post({ kind: 'response', id, result });
    } catch (e) {
      const payload = source.token.isCancellationRequested ? { code: 'Cancelled' as const, message: 'cancelled' } : toErrorPayload(e);
      try { this.post({ kind: 'response', id, error: payload }); } catch { /* transport gone */ }
    } finally {
      this.running.delete(id);
    }
  }
}

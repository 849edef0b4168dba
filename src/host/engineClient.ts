/**
 * The host's side of the engine process: forks it lazily on the first request, speaks rpc.ts over the IPC
 * channel, fails pending requests with EngineCrashed when it dies and restarts it on the next request (at most
 * `maxRestarts` crashes per `restartWindowMs`; restarts the user asked for do not count). It supervises the
 * process: a request that neither answers nor reports progress within `requestTimeoutMs`, or an engine that
 * answers no heartbeat for `heartbeatMs × heartbeatMisses`, gets it killed and restarted, failing what was in
 * flight with a message saying so. Free of `vscode` imports so unit tests can drive it directly; the extension
 * wires `log` to the output channel and `onCrash` to a notification with a "Show Log" action.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Ping, RpcConnection, RpcError, type Message, type RequestType, type RequestOptions } from '../protocol/rpc';
import { Emitter, type Event } from './disposable';

export interface EngineClientOptions {
  /** The engine process entry (dist/engine-process.js, or the .ts source with execArgv ['--import', 'tsx'] in tests). */
  modulePath: string;
  execArgv?: string[];
  env?: Record<string, string | undefined>;
  /** Engine settings passed through FEATUREVIS_ENGINE_SETTINGS. */
  settings?: () => Record<string, unknown>;
  log?: (line: string) => void;
  onCrash?: (message: string) => void;
  maxRestarts?: number;
  restartWindowMs?: number;
  /** A request fails, and the engine restarts, after this long without an answer or progress. */
  requestTimeoutMs?: number;
  /** Heartbeat period; 0 turns the heartbeat off. */
  heartbeatMs?: number;
  /** Restart after this many heartbeat periods with no message at all from the engine. */
  heartbeatMisses?: number;
  /** V8 heap limit of the engine process (--max-old-space-size), in MiB. */
  maxOldSpaceMb?: number;
}

/**
 * What the engine is doing, for the status bar (statusBar.ts). `pid` on `exit` tells a late exit of a replaced
 * process from the current one's; `detail` is the request's `method` parameter (explain, evaluate), if any.
 */
export type EngineEvent =
  | { type: 'starting'; pid: number }
  | { type: 'ready'; pid: number }
  | { type: 'request'; id: number; method: string; detail?: string }
  | { type: 'progress'; id: number; fraction?: number; message?: string }
  | { type: 'done'; id: number }
  | { type: 'exit'; pid?: number; crashed: boolean; message: string }
  | { type: 'restart'; reason: string }
  | { type: 'refused'; message: string };

export const REQUEST_TIMEOUT_MS = 120_000;
export const HEARTBEAT_MS = 10_000;
/** 6 × 10 s: a long synchronous step (parsing a large model) keeps the event loop busy for seconds, not a minute. */
export const HEARTBEAT_MISSES = 6;
export const MAX_OLD_SPACE_MB = 4096;

const seconds = (ms: number) => `${+(ms / 1000).toFixed(1)} s`;

export class EngineClient {
  private child?: ChildProcess;
  private connection?: RpcConnection;
  /** Times of unexpected exits (crashes and supervisor kills) within the restart window. */
  private readonly crashes: number[] = [];
  private lastHeard = 0;
  private heartbeat?: NodeJS.Timeout;
  private disposed = false;
  private expectedExit = new WeakSet<ChildProcess>();
  private readonly started = new Emitter<number>();
  /** Fires with the pid each time an engine process is forked (first start and restarts). */
  readonly onDidStart: Event<number> = this.started.event;
  private readonly stateEvents = new Emitter<EngineEvent>();
  readonly onState: Event<EngineEvent> = this.stateEvents.event;
  private requestIds = 0;

  constructor(private readonly options: EngineClientOptions) {}

  get pid(): number | undefined { return this.child?.pid; }
  get running(): boolean { return !!this.child && this.child.exitCode === null && this.child.signalCode === null; }

  async request<P, R, Pr>(type: RequestType<P, R, Pr>, params: P, options: RequestOptions<Pr> = {}): Promise<R> {
    const conn = this.ensure();
    const child = this.child;
    const id = ++this.requestIds;
    const detail = (params as { method?: unknown } | undefined)?.method;
    this.stateEvents.fire({ type: 'request', id, method: type.method, detail: typeof detail === 'string' ? detail : undefined });
    const limit = this.options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => this.hung(child, `the FeatureVis engine did not answer '${type.method}' within ${seconds(limit)}; it was restarted`), limit);
    };
    arm();
    try {
      return await conn.sendRequest(type, params, {
        ...options,
        onProgress: (v) => {
          arm();
          const p = v as { fraction?: unknown; message?: unknown } | undefined;
          this.stateEvents.fire({ type: 'progress', id, fraction: typeof p?.fraction === 'number' ? p.fraction : undefined, message: typeof p?.message === 'string' ? p.message : undefined });
          options.onProgress?.(v);
        },
      });
    } finally {
      clearTimeout(timer);
      this.stateEvents.fire({ type: 'done', id });
    }
  }

  /** Kills the process as a crash would (tests); the next request starts a fresh one. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child?.kill(signal);
  }

  /**
   * A restart the user asked for ("FeatureVis: Restart Engine", changed engine settings): no crash notice, not
   * counted toward the restart limit, and it forgets earlier crashes. The next request starts a fresh process.
   */
  restart(reason = 'restart requested'): void {
    this.resetRestarts();
    this.stateEvents.fire({ type: 'restart', reason });
    const child = this.child;
    if (!child) return;
    this.expectedExit.add(child);
    this.options.log?.(`[host] restarting the engine process ${child.pid ?? '?'}: ${reason}`);
    this.connection?.close({ code: 'EngineCrashed', message: `the FeatureVis engine was restarted (${reason}) while working on this request; run it again` });
    this.child = undefined;
    this.connection = undefined;
    clearInterval(this.heartbeat);
    child.kill('SIGTERM');
    const c = child;
    setTimeout(() => { if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL'); }, 2000).unref();
  }

  /** The supervisor's kill of a hung engine: fails everything in flight with `message`, counts as a crash. */
  private hung(child: ChildProcess | undefined, message: string): void {
    if (!child || child !== this.child || this.disposed) return;
    const log = this.options.log ?? (() => undefined);
    log(`[host] ${message} (pid ${child.pid ?? '?'} killed)`);
    this.expectedExit.add(child);
    this.crashes.push(Date.now());
    this.connection?.close({ code: 'EngineCrashed', message });
    this.child = undefined;
    this.connection = undefined;
    clearInterval(this.heartbeat);
    child.kill('SIGKILL');
    this.stateEvents.fire({ type: 'exit', pid: child.pid, crashed: true, message });
    this.options.onCrash?.(message);
    // Restart now, so that the next request finds a warm process; over the restart limit, the next request says so.
    try { this.ensure(); } catch (e) { log(`[host] ${(e as Error).message}`); }
  }

  dispose(): void {
    this.disposed = true;
    if (this.child) {
      this.expectedExit.add(this.child);
      this.connection?.close({ code: 'Cancelled', message: 'the engine was shut down' });
      try { this.child.disconnect(); } catch { /* already gone */ }
      const c = this.child;
      setTimeout(() => { if (c.exitCode === null) c.kill(); }, 2000).unref();
    }
    this.child = undefined;
    this.connection = undefined;
    clearInterval(this.heartbeat);
    this.started.dispose();
    this.stateEvents.dispose();
  }

  private ensure(): RpcConnection {
    if (this.disposed) throw new RpcError({ code: 'EngineCrashed', message: 'FeatureVis is shutting down' });
    if (this.connection && this.running) return this.connection;
    const now = Date.now();
    const window = this.options.restartWindowMs ?? 5 * 60_000;
    const max = this.options.maxRestarts ?? 3;
    while (this.crashes.length && now - this.crashes[0] > window) this.crashes.shift();
    if (this.crashes.length > max) {
      const message = `the FeatureVis engine crashed ${this.crashes.length} times in the last ${Math.round(window / 60000)} minutes; not restarting it. See the FeatureVis output for its log; run "FeatureVis: Restart Engine" to try again.`;
      this.stateEvents.fire({ type: 'refused', message });
      throw new RpcError({ code: 'EngineCrashed', message });
    }
    return this.start();
  }

  /** Forgets the crash history ("FeatureVis: Restart Engine"). */
  resetRestarts(): void { this.crashes.length = 0; }

  /** Every message from the engine is a sign of life; a ping goes out only when it has been quiet for a period. */
  private beat(child: ChildProcess, conn: RpcConnection): void {
    const period = this.options.heartbeatMs ?? HEARTBEAT_MS;
    if (!period) return;
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      if (child !== this.child) return;
      // Until its first message the process is still starting (loading onnxruntime): the request deadline covers that.
      if (!this.lastHeard) { conn.sendRequest(Ping, {}).catch(() => undefined); return; }
      const quiet = Date.now() - this.lastHeard;
      const misses = this.options.heartbeatMisses ?? HEARTBEAT_MISSES;
      if (quiet >= period * misses) this.hung(child, `the FeatureVis engine stopped answering (no heartbeat for ${seconds(quiet)}); it was restarted`);
      else if (quiet >= period) conn.sendRequest(Ping, {}).catch(() => undefined);
    }, period);
    this.heartbeat.unref();
  }

  private start(): RpcConnection {
    const log = this.options.log ?? (() => undefined);
    const child = fork(this.options.modulePath, [], {
      execArgv: [...this.options.execArgv ?? [], `--max-old-space-size=${this.options.maxOldSpaceMb ?? MAX_OLD_SPACE_MB}`],
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: {
        ...process.env,
        ...this.options.env,
        ELECTRON_RUN_AS_NODE: '1',
        FEATUREVIS_ENGINE_MAIN: '1',
        FEATUREVIS_ENGINE_SETTINGS: JSON.stringify(this.options.settings?.() ?? {}),
      },
    });
    this.child = child;
    const lines = (buf: Buffer) => { for (const l of buf.toString().split(/\r?\n/)) if (l) log(l); };
    child.stdout?.on('data', lines);
    child.stderr?.on('data', lines);
    const conn = new RpcConnection({
      send: (m: Message) => { if (child.connected) child.send(m); else throw new Error('the engine process is not connected'); },
      onMessage: (l) => {
        const h = (m: unknown) => {
          if (child === this.child) {
            if (!this.lastHeard && child.pid !== undefined) this.stateEvents.fire({ type: 'ready', pid: child.pid });
            this.lastHeard = Date.now();
          }
          l(m as Message);
        };
        child.on('message', h);
        return () => child.off('message', h);
      },
    }, 'h');
    this.connection = conn;
    this.lastHeard = 0;
    this.beat(child, conn);
    log(`[host] engine process started (pid ${child.pid})`);
    if (child.pid !== undefined) { this.stateEvents.fire({ type: 'starting', pid: child.pid }); this.started.fire(child.pid); }
    const onGone = (code: number | null, signal: NodeJS.Signals | null, err?: Error) => {
      if (this.child === child) { this.child = undefined; this.connection = undefined; clearInterval(this.heartbeat); }
      const expected = this.expectedExit.has(child) || this.disposed;
      if (!expected && (code !== 0 || signal)) this.crashes.push(Date.now());
      const why = err ? `could not start: ${err.message}` : signal ? `was killed (${signal})` : `exited with code ${code}`;
      log(`[host] engine process ${child.pid ?? '?'} ${why}`);
      this.stateEvents.fire({ type: 'exit', pid: child.pid, crashed: !expected && (code !== 0 || !!signal), message: `The FeatureVis engine process ${why}.` });
      const pending = conn.pendingCount;
      conn.close({ code: 'EngineCrashed', message: `The FeatureVis engine process ${why}${pending ? ' while working on your request' : ''}. It restarts on the next request.` });
      if (!expected && (code !== 0 || signal)) this.options.onCrash?.(`The FeatureVis engine process ${why}. It will restart on the next request.`);
    };
    child.once('exit', (code, signal) => onGone(code, signal));
    child.once('error', (err) => { if (child.exitCode === null && !child.pid) onGone(null, null, err); else log(`[host] engine process error: ${err.message}`); });
    return conn;
  }
}

/**
 * The host's side of the engine process: forks it lazily on the first request, speaks rpc.ts over the IPC
 * channel, fails pending requests with EngineCrashed when it dies and restarts it on the next request (at most
 * `maxRestarts` times per `restartWindowMs`). Free of `vscode` imports so unit tests can drive it directly; the
 * extension wires `log` to the output channel and `onCrash` to a notification with a "Show Log" action.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { RpcConnection, RpcError, type Message, type RequestType, type RequestOptions } from '../protocol/rpc';
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
}

export class EngineClient {
  private child?: ChildProcess;
  private connection?: RpcConnection;
  private readonly starts: number[] = [];
  private disposed = false;
  private expectedExit = new WeakSet<ChildProcess>();
  private readonly started = new Emitter<number>();
  /** Fires with the pid each time an engine process is forked (first start and restarts). */
  readonly onDidStart: Event<number> = this.started.event;

  constructor(private readonly options: EngineClientOptions) {}

  get pid(): number | undefined { return this.child?.pid; }
  get running(): boolean { return !!this.child && this.child.exitCode === null && this.child.signalCode === null; }

  async request<P, R, Pr>(type: RequestType<P, R, Pr>, params: P, options: RequestOptions<Pr> = {}): Promise<R> {
    const conn = this.ensure();
    return conn.sendRequest(type, params, options);
  }

  /** Kills the process (tests, "FeatureVis: Restart Engine"); the next request starts a fresh one. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child?.kill(signal);
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
    this.started.dispose();
  }

  private ensure(): RpcConnection {
    if (this.disposed) throw new RpcError({ code: 'EngineCrashed', message: 'FeatureVis is shutting down' });
    if (this.connection && this.running) return this.connection;
    const now = Date.now();
    const window = this.options.restartWindowMs ?? 5 * 60_000;
    const max = this.options.maxRestarts ?? 3;
    while (this.starts.length && now - this.starts[0] > window) this.starts.shift();
    // The first start is not a restart: allow 1 + max starts per window.
    if (this.starts.length > max) {
      throw new RpcError({ code: 'EngineCrashed', message: `the FeatureVis engine crashed ${this.starts.length} times in the last ${Math.round(window / 60000)} minutes; not restarting it. See the FeatureVis output for its log; run "FeatureVis: Restart Engine" to try again.` });
    }
    this.starts.push(now);
    return this.start();
  }

  /** Forgets the restart history ("FeatureVis: Restart Engine"). */
  resetRestarts(): void { this.starts.length = 0; }

  private start(): RpcConnection {
    const log = this.options.log ?? (() => undefined);
    const child = fork(this.options.modulePath, [], {
      execArgv: this.options.execArgv ?? [],
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
      onMessage: (l) => { const h = (m: unknown) => l(m as Message); child.on('message', h); return () => child.off('message', h); },
    }, 'h');
    this.connection = conn;
    log(`[host] engine process started (pid ${child.pid})`);
    if (child.pid !== undefined) this.started.fire(child.pid);
    const onGone = (code: number | null, signal: NodeJS.Signals | null, err?: Error) => {
      if (this.child === child) { this.child = undefined; this.connection = undefined; }
      const expected = this.expectedExit.has(child) || this.disposed;
      const why = err ? `could not start: ${err.message}` : signal ? `was killed (${signal})` : `exited with code ${code}`;
      log(`[host] engine process ${child.pid ?? '?'} ${why}`);
      const pending = conn.pendingCount;
      conn.close({ code: 'EngineCrashed', message: `The FeatureVis engine process ${why}${pending ? ' while working on your request' : ''}. It restarts on the next request.` });
      if (!expected && (code !== 0 || signal)) this.options.onCrash?.(`The FeatureVis engine process ${why}. It will restart on the next request.`);
    };
    child.once('exit', (code, signal) => onGone(code, signal));
    child.once('error', (err) => { if (child.exitCode === null && !child.pid) onGone(null, null, err); else log(`[host] engine process error: ${err.message}`); });
    return conn;
  }
}

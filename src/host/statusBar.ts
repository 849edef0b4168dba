/**
 * The engine's state in the status bar: idle, starting, running (what and how far), restarting, crashed, stopped;
 * a click shows the log. `reduce` and `view` are pure (unit-tested without vscode); `EngineStatusBar` applies them
 * to an item the extension creates, so this file needs no `vscode` import.
 *
 * Hidden until the engine first starts: a user who installed FeatureVis but has not used it yet should not see
 * it in every window; from then on it stays, so a crash or a stopped engine remains visible after the
 * notification is gone. The engine starts when anything needs it (the inspector view, a panel, the .onnx
 * editor), so "first started" is "first used".
 */
import type { EngineEvent } from './engineClient';
import type { IDisposable } from './disposable';

interface Running { id: number; method: string; detail?: string; fraction?: number; message?: string }

export interface StatusState {
  phase: 'off' | 'starting' | 'ready' | 'restarting' | 'crashed' | 'stopped';
  pid?: number;
  /** An engine process ran before: a start reads as a restart. */
  restarted: boolean;
  /** The engine has started at least once (the item shows from then on). */
  seen: boolean;
  /** Requests in flight, oldest first. */
  running: Running[];
  /** Why the engine crashed, was restarted or stopped. */
  note?: string;
  /** Explanation methods run this session (the walkthrough's "compare methods" step). */
  methods: string[];
}

export const initialStatus: StatusState = { phase: 'off', restarted: false, seen: false, running: [], methods: [] };

export function reduce(s: StatusState, e: EngineEvent): StatusState {
  switch (e.type) {
    case 'starting': return { ...s, phase: 'starting', pid: e.pid, restarted: s.seen, seen: true, note: s.phase === 'off' ? undefined : s.note };
    case 'ready': return e.pid === s.pid && s.phase === 'starting' ? { ...s, phase: 'ready' } : s;
    case 'request': {
      const methods = e.method === 'explain' && e.detail && !s.methods.includes(e.detail) ? [...s.methods, e.detail] : s.methods;
      return { ...s, running: [...s.running, { id: e.id, method: e.method, detail: e.detail }], methods };
    }
    case 'progress':
      return { ...s, running: s.running.map((r) => (r.id === e.id ? { ...r, fraction: e.fraction ?? r.fraction, message: e.message ?? r.message } : r)) };
    case 'done': return { ...s, running: s.running.filter((r) => r.id !== e.id) };
    // A replaced process's late exit (after a restart or a supervisor kill) says nothing about the current one.
    case 'exit': return e.pid !== s.pid ? s : { ...s, phase: e.crashed ? 'crashed' : 'off', pid: undefined, note: e.crashed ? e.message : undefined };
    case 'restart': return { ...s, phase: s.seen ? 'restarting' : s.phase, pid: undefined, note: e.reason };
    case 'refused': return { ...s, phase: 'stopped', pid: undefined, note: e.message };
  }
}

/** What a request is doing, in words. */
export function describe(r: Pick<Running, 'method' | 'detail'>): string {
  switch (r.method) {
    case 'explain': return r.detail ?? 'explaining';
    case 'evaluate': return r.detail ? `scoring ${r.detail}` : 'scoring';
    case 'model/check': return 'checking gradients';
    case 'image/load': return 'loading image';
    case 'predict': case 'model/dense': return 'predicting';
    case 'model/summary': case 'model/layers': case 'model/filters': case 'model/sources': return 'reading model';
    case 'engine/info': case 'engine/methods': case 'engine/metrics': return 'listing methods';
    default: return r.method;
  }
}

const percent = (f: number | undefined) => (f === undefined || !Number.isFinite(f) ? '' : ` ${Math.round(Math.min(1, Math.max(0, f)) * 100)}%`);
/** Long runs first (they carry progress), newest first among them. */
const LONG = new Set(['explain', 'evaluate', 'model/check']);

export interface StatusView {
  visible: boolean;
  text: string;
  tooltip: string;
  severity: 'normal' | 'warning' | 'error';
}

export function view(s: StatusState): StatusView {
  const click = 'Click to show the FeatureVis log.';
  const lines = s.running.map((r) => `• ${describe(r)}${percent(r.fraction)}${r.message ? ` — ${r.message}` : ''}`);
  const queued = lines.length ? `\n${lines.join('\n')}` : '';
  const pid = s.pid !== undefined ? ` (pid ${s.pid})` : '';
  const base = { visible: s.seen, severity: 'normal' as const };
  switch (s.phase) {
    case 'stopped':
      return { ...base, severity: 'error', text: '$(error) FeatureVis: engine stopped', tooltip: `${s.note ?? 'The engine crashed too often.'}\n${click}` };
    case 'crashed':
      return { ...base, severity: 'warning', text: '$(warning) FeatureVis: engine crashed', tooltip: `${s.note ?? 'The engine process crashed.'} It restarts with the next request.\n${click}` };
    case 'restarting':
      return { ...base, text: '$(debug-restart) FeatureVis: restarting', tooltip: `The engine was stopped (${s.note ?? 'restart'}); a fresh process starts with the next request.\n${click}` };
    case 'off':
      return { ...base, text: '$(circle-slash) FeatureVis: engine off', tooltip: `The engine process exited; it starts with the next request.\n${click}` };
    case 'starting':
      return {
        ...base,
        text: `$(sync~spin) FeatureVis: ${s.restarted ? 'restarting' : 'starting'} engine`,
        tooltip: `The engine process${pid} is loading onnxruntime${s.restarted && s.note ? ` after: ${s.note}` : ''}.${queued ? `\nWaiting:${queued}` : ''}\n${click}`,
      };
    case 'ready': {
      if (!s.running.length) return { ...base, text: '$(eye) FeatureVis: idle', tooltip: `The engine${pid} is idle.\n${click}` };
      const long = s.running.filter((r) => LONG.has(r.method));
      const shown = (long.length ? long : s.running).at(-1) as Running;
      const more = s.running.length > 1 ? ` (+${s.running.length - 1})` : '';
      return { ...base, text: `$(sync~spin) FeatureVis: ${describe(shown)}${percent(shown.fraction)}${more}`, tooltip: `The engine${pid} is running:${queued}\n${click}` };
    }
  }
}

/** The parts of vscode.StatusBarItem this uses (structural, so a test can pass a plain object). */
export interface StatusItem extends IDisposable {
  text: string;
  tooltip: unknown;
  command: unknown;
  backgroundColor: unknown;
  accessibilityInformation?: { label: string };
  show(): void;
  hide(): void;
}

/** Context key set once the user has explained an image with this many methods (the grid does it at once). */
export const COMPARED_KEY = 'featurevis.comparedMethods';
export const COMPARED_METHODS = 3;

export class EngineStatusBar implements IDisposable {
  private state = initialStatus;
  private compared = false;

  /** `color` makes a theme colour (vscode.ThemeColor); `setContext` sets a when-clause context key. */
  constructor(private readonly item: StatusItem, private readonly color: (id: string) => unknown, private readonly setContext: (key: string, value: unknown) => void) {
    item.command = 'featurevis.showLog';
    this.render();
  }

  get current(): StatusState { return this.state; }

  update(e: EngineEvent): void {
    this.state = reduce(this.state, e);
    this.render();
    if (!this.compared && this.state.methods.length >= COMPARED_METHODS) {
      this.compared = true;
      this.setContext(COMPARED_KEY, true);
    }
  }

  private render(): void {
    const v = view(this.state);
    this.item.text = v.text;
    this.item.tooltip = v.tooltip;
    this.item.accessibilityInformation = { label: v.text.replace(/\$\([^)]*\)\s*/g, '') };
    this.item.backgroundColor = v.severity === 'normal' ? undefined : this.color(`statusBarItem.${v.severity}Background`);
    if (v.visible) this.item.show(); else this.item.hide();
  }

  dispose(): void { this.item.dispose(); }
}

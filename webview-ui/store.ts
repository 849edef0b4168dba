/**
 * A view's state in one place: every change is merged, persisted (VS Code keeps it while the webview is hidden or
 * reloaded) and then handed to the subscribers with the keys that changed, which re-render what depends on them.
 * No DOM and no `acquireVsCodeApi()` (unit-tested in node with a fake storage).
 */

/** Where state persists: the webview API's `setState` in VS Code. */
export interface StateStorage { setState(s: unknown): void }

export type Listener<S> = (state: Readonly<S>, changed: ReadonlySet<keyof S>) => void;

export class Store<S extends object> {
  private current: S;
  private readonly listeners = new Set<Listener<S>>();

  constructor(private readonly storage: StateStorage, initial: S) {
    this.current = { ...initial };
    storage.setState(this.current);
  }

  get state(): Readonly<S> { return this.current; }

  /** Merges `patch` (values compared with ===: give new objects for changed ones), persists, then notifies once. */
  set(patch: Partial<S>): void {
    const changed = new Set<keyof S>();
    for (const k of Object.keys(patch) as (keyof S)[]) if (patch[k] !== this.current[k]) changed.add(k);
    if (!changed.size) return;
    this.current = { ...this.current, ...patch };
    this.storage.setState(this.current);
    for (const l of [...this.listeners]) l(this.current, changed);
  }

  subscribe(l: Listener<S>): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

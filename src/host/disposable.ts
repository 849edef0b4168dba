/**
 * One dispose pattern for the host: a base class that owns a list of disposables and disposes them once, newest
 * first; and a minimal event emitter for code that must stay free of `vscode` (the engine client, unit-tested).
 * No `vscode` import: `vscode.Disposable` is structurally `{ dispose(): unknown }`.
 */
export interface IDisposable { dispose(): unknown }

export class Disposable implements IDisposable {
  private readonly owned: IDisposable[] = [];
  private disposedFlag = false;

  get isDisposed(): boolean { return this.disposedFlag; }

  /** Owns `d`: it is disposed with this object (at once if this one is disposed already). */
  protected register<T extends IDisposable>(d: T): T {
    if (this.disposedFlag) d.dispose();
    else this.owned.push(d);
    return d;
  }

  /** Disposes what was registered, newest first; later calls do nothing. Subclasses extend it with `super.dispose()`. */
  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    for (const d of this.owned.splice(0).reverse()) {
      try { d.dispose(); } catch { /* one failing disposable must not keep the others alive */ }
    }
  }
}

export const toDisposable = (dispose: () => void): IDisposable => ({ dispose });

/** `event(listener)` subscribes and returns the unsubscription, as `vscode.Event` does. */
export type Event<T> = (listener: (value: T) => void) => IDisposable;

export class Emitter<T> {
  private readonly listeners = new Set<(value: T) => void>();
  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return toDisposable(() => this.listeners.delete(listener));
  };

  fire(value: T): void {
    for (const l of [...this.listeners]) l(value);
  }

  dispose(): void { this.listeners.clear(); }
}

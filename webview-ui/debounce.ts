/** One pending call at a time: scheduling again replaces it, and dispose cancels it (a view's timers die with it). */
export class Debouncer {
  private timer?: ReturnType<typeof setTimeout>;

  constructor(private readonly ms: number) {}

  schedule(f: () => void): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = undefined; f(); }, this.ms);
  }

  get pending(): boolean { return this.timer !== undefined; }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

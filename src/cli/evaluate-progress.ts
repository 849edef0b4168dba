/** Evaluate's progress bar is the CLI's shared one (progress.ts); this path stays for its existing importers. */
export { ProgressBar, duration, type ProgressSink } from './progress';

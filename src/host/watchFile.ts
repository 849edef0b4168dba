/** A debounced watcher of one file; disposing it stops the watcher and any pending callback. */
import * as path from 'node:path';
import * as vscode from 'vscode';

export function watchFile(file: string, onChange: (deleted: boolean) => void, debounceMs = 300): vscode.Disposable {
  const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)));
  let timer: NodeJS.Timeout | undefined;
  const changed = (deleted: boolean) => {
    clearTimeout(timer);
    timer = setTimeout(() => onChange(deleted), debounceMs);
  };
  const subs = [watcher.onDidChange(() => changed(false)), watcher.onDidCreate(() => changed(false)), watcher.onDidDelete(() => changed(true))];
  return { dispose: () => { clearTimeout(timer); subs.forEach((s) => s.dispose()); watcher.dispose(); } };
}

/**
 * CodeLenses above each mapped layer definition in the model's Python files (`FeatureVis: activations · filters ·
 * explain here`); they refresh when the source links change (re-export, a saved Python file, another model).
 */
import * as vscode from 'vscode';
import { Disposable } from './disposable';
import { definitionsIn, lensesFor } from './lensContent';
import type { SourceLinks } from './sourceLinks';

export class LayerCodeLenses extends Disposable implements vscode.CodeLensProvider {
  private readonly emitter = this.register(new vscode.EventEmitter<void>());
  readonly onDidChangeCodeLenses = this.emitter.event;

  constructor(private readonly links: SourceLinks) {
    super();
    this.register(links.onDidChange(() => this.emitter.fire()));
  }

  async provideCodeLenses(doc: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    if (doc.uri.scheme !== 'file') return [];
    const map = await this.links.get();
    return definitionsIn(map.sources, map.layers, doc.uri.fsPath).flatMap((d) => {
      const range = new vscode.Range(d.location.line, d.location.column, d.location.line, d.location.column);
      return lensesFor(d, map.model).map((l) => new vscode.CodeLens(range, { title: l.title, command: l.command, tooltip: l.tooltip, arguments: l.args }));
    });
  }
}

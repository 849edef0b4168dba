/**
 * Hovers on mapped layer definitions: each layer's output shape and parameter count, and a thumbnail of the
 * strongest channels (by mean activation) for the current image, as a PNG data URI in untrusted Markdown.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorMessage } from './errors';
import type { ActivationsSource } from './activationsView';
import { definitionsIn, hoverMarkdown, pngDataUri, tileChannels } from './lensContent';
import type { SourceLinks } from './sourceLinks';

const THUMB_CHANNELS = 8;

export class LayerHovers implements vscode.HoverProvider {
  constructor(private readonly links: SourceLinks, private readonly activations: ActivationsSource) {}

  async provideHover(doc: vscode.TextDocument, pos: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    if (doc.uri.scheme !== 'file') return undefined;
    const map = await this.links.get();
    const d = definitionsIn(map.sources, map.layers, doc.uri.fsPath).find((x) => x.location.line <= pos.line && pos.line <= x.location.endLine);
    if (!d || token.isCancellationRequested) return undefined;
    const first = d.layers[0].source.tensor;
    let thumb: Parameters<typeof hoverMarkdown>[1];
    let error: string | undefined;
    try {
      const image = this.activations.currentImage();
      const a = await this.activations.activations(map.model, image, first, THUMB_CHANNELS, 'mean');
      thumb = { png: pngDataUri(tileChannels(a.channels)), tensor: d.layers[0].source.modulePath ?? first, channels: a.channels.map((c) => c.index), imageName: path.basename(image.fsPath) };
    } catch (e) {
      error = errorMessage(e);
    }
    const md = new vscode.MarkdownString(hoverMarkdown(d, thumb, error));
    md.isTrusted = false;
    const l = d.location;
    return new vscode.Hover(md, new vscode.Range(l.line, l.column, l.endLine, l.endColumn));
  }
}

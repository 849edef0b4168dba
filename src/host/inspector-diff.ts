/** What changed between two versions of a model's layers (no vscode import: unit-tested). */
import type { LayerInfo } from '../protocol/types';

/** What differs between two layer lists (for the "model changed" message). */
export function diffLayers(before: LayerInfo[], after: LayerInfo[]): { added: string[]; removed: string[]; reshaped: string[] } {
  const a = new Map(before.map((l) => [l.tensor, l]));
  const b = new Map(after.map((l) => [l.tensor, l]));
  const added = after.filter((l) => !a.has(l.tensor)).map((l) => l.tensor);
  const removed = before.filter((l) => !b.has(l.tensor)).map((l) => l.tensor);
  const reshaped = after.filter((l) => a.has(l.tensor) && a.get(l.tensor)!.shape.join('x') !== l.shape.join('x')).map((l) => l.tensor);
  return { added, removed, reshaped };
}

export function describeDiff(name: string, d: ReturnType<typeof diffLayers>): string {
  const parts: string[] = [];
  const few = (xs: string[]) => xs.slice(0, 3).join(', ') + (xs.length > 3 ? ', …' : '');
  if (d.added.length) parts.push(`${d.added.length} layer${d.added.length > 1 ? 's' : ''} added (${few(d.added)})`);
  if (d.removed.length) parts.push(`${d.removed.length} removed (${few(d.removed)})`);
  if (d.reshaped.length) parts.push(`${d.reshaped.length} changed shape (${few(d.reshaped)})`);
  return `${name} changed on disk: ${parts.length ? parts.join('; ') : 'same layers and shapes (weights may differ)'}.`;
}


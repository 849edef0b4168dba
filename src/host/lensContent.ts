/**
 * What the model code shows (no vscode import: unit-tested): the mapped layer definitions of one file grouped per
 * definition (a block class used several times defines several layers on one line), the CodeLens commands above
 * each, the hover's Markdown, and the hover's thumbnail of the strongest channels as a PNG data URI.
 */
import * as zlib from 'node:zlib';
import type { ActivationChannel } from '../protocol/messages';
import { colorize } from '../protocol/display';
import type { LayerInfo, LayerSource, SourceLocation } from '../protocol/types';

/** One layer defined at a location: its source mapping and, when the engine listed it, its facts. */
export interface MappedLayer { source: LayerSource; info?: LayerInfo }
export interface Definition { location: SourceLocation; layers: MappedLayer[] }

const norm = (p: string) => p.replace(/\\/g, '/');

/**
 * The definitions in `file`, in line order; each lists its layers in model order. A module that produces several
 * nodes (a block, an nn.Sequential) is represented by its output, the last of its nodes: that is what its
 * activations are.
 */
export function definitionsIn(sources: readonly LayerSource[], layers: readonly LayerInfo[], file: string): Definition[] {
  const info = new Map(layers.map((l) => [l.tensor, l]));
  const byLoc = new Map<string, { location: SourceLocation; byModule: Map<string, LayerSource> }>();
  for (const s of sources) {
    const loc = s.location;
    if (!loc || norm(loc.file) !== norm(file) || !info.has(s.tensor)) continue;
    const key = `${loc.line}:${loc.column}:${loc.endLine}:${loc.endColumn}`;
    let d = byLoc.get(key);
    if (!d) byLoc.set(key, (d = { location: loc, byModule: new Map() }));
    // Later nodes of the same module replace earlier ones: the module's output is its last node.
    const module = s.modulePath ?? s.node;
    d.byModule.delete(module);
    d.byModule.set(module, s);
  }
  return [...byLoc.values()]
    .map((d) => ({ location: d.location, layers: [...d.byModule.values()].map((source) => ({ source, info: info.get(source.tensor) })) }))
    .sort((a, b) => a.location.line - b.location.line || a.location.column - b.location.column);
}

export interface LensSpec { title: string; command: string; tooltip: string; args: unknown[] }

/** The three lenses above a definition: activations · filters (Conv layers) · explain here. */
export function lensesFor(d: Definition, model: string | undefined): LensSpec[] {
  const tensors = d.layers.map((l) => l.source.tensor);
  const name = (l: MappedLayer) => l.source.modulePath ?? l.source.node;
  const many = d.layers.length > 1 ? ` (${d.layers.length} instances)` : '';
  const lenses: LensSpec[] = [
    { title: `FeatureVis: activations${many}`, command: 'featurevis.showActivations', tooltip: `Feature maps of ${d.layers.map(name).join(', ')} for the current image`, args: [tensors, model] },
  ];
  if (d.layers.some((l) => l.info?.op === 'Conv')) {
    const convs = d.layers.filter((l) => l.info?.op === 'Conv').map((l) => l.source.tensor);
    lenses.push({ title: 'filters', command: 'featurevis.showLayerFilters', tooltip: 'The convolution\'s filters', args: [convs, model] });
  }
  lenses.push({ title: 'explain here', command: 'featurevis.explainHere', tooltip: 'Open the Visualize panel with this layer\'s strongest channel as the target', args: [tensors, model] });
  return lenses;
}

const dims = (s: number[]) => `[${s.join('×')}]`;
/** Markdown escapes for names (module paths and tensor names can hold `_`, `*`, `[`). */
export const escapeMd = (s: string) => s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);

/** The hover: each layer's module path, op, output shape and parameters, then the thumbnail (when computed). */
export function hoverMarkdown(d: Definition, thumb?: { png: string; tensor: string; channels: number[]; imageName: string }, error?: string): string {
  const rows = d.layers.slice(0, 6).map((l) => {
    const i = l.info;
    const name = l.source.modulePath ?? l.source.node;
    return `- **${escapeMd(name)}** · ${i ? `${escapeMd(i.op)} → ${dims(i.shape)} · ${i.params.toLocaleString('en-US')} parameters` : 'not a listed layer'}`;
  });
  if (d.layers.length > 6) rows.push(`- … and ${d.layers.length - 6} more`);
  const parts = [`**FeatureVis** · ${d.layers.length === 1 ? 'layer' : `${d.layers.length} layers`} defined here`, rows.join('\n')];
  if (thumb) {
    parts.push(`Strongest channels of ${escapeMd(thumb.tensor)} for ${escapeMd(thumb.imageName)} (by mean activation: ${thumb.channels.join(', ')}):`);
    parts.push(`![strongest channels](${thumb.png})`);
  } else if (error) parts.push(`*No activations: ${escapeMd(error)}*`);
  return parts.join('\n\n');
}

/** The channels side by side (up to `cols` a row), each `cell` pixels square (nearest), on one heat scale. */
export function tileChannels(channels: readonly ActivationChannel[], cols = 4, cell = 48): { width: number; height: number; data: Uint8Array } {
  const rows = Math.ceil(channels.length / cols);
  const gap = 2;
  const width = Math.min(cols, channels.length) * (cell + gap) - gap;
  const height = rows * (cell + gap) - gap;
  const out = new Uint8Array(width * height * 4).fill(0);
  let scale = 0;
  for (const c of channels) for (const v of c.map.data) scale = Math.max(scale, Math.abs(v));
  const signed = channels.some((c) => c.map.data.some((v) => v < 0));
  channels.forEach((c, k) => {
    const [h, w] = c.map.dims;
    const rgba = colorize(c.map.data, scale || 1, signed ? 'signed' : 'heat');
    const ox = (k % cols) * (cell + gap), oy = Math.floor(k / cols) * (cell + gap);
    for (let y = 0; y < cell; y++) {
      for (let x = 0; x < cell; x++) {
        const s = 4 * (Math.min(h - 1, Math.floor((y * h) / cell)) * w + Math.min(w - 1, Math.floor((x * w) / cell)));
        const o = 4 * ((oy + y) * width + ox + x);
        const a = rgba[s + 3] / 255;
        // Signed maps lie over white (there is no photo under a thumbnail); heat maps are opaque already.
        for (let i = 0; i < 3; i++) out[o + i] = Math.round(255 + (rgba[s + i] - 255) * a);
        out[o + 3] = 255;
      }
    }
  });
  return { width, height, data: out };
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** RGBA pixels as a PNG file (8-bit, filter 0 on every row). */
export function encodePng(p: { width: number; height: number; data: Uint8Array }): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(p.width, 0);
  ihdr.writeUInt32BE(p.height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const raw = Buffer.alloc((p.width * 4 + 1) * p.height);
  for (let y = 0; y < p.height; y++) raw.set(p.data.subarray(y * p.width * 4, (y + 1) * p.width * 4), y * (p.width * 4 + 1) + 1);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', new Uint8Array())]);
}

export const pngDataUri = (p: { width: number; height: number; data: Uint8Array }) => `data:image/png;base64,${encodePng(p).toString('base64')}`;

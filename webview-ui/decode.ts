/** Decodes image bytes the engine cannot read (webp, bmp, gif, …) with the browser, for the Visualize panel. */
import type { WebviewMessage } from '../src/protocol/messages';

export async function decode(bytes: ArrayBuffer, name: string, send: (m: WebviewMessage, transfer?: Transferable[]) => void): Promise<void> {
  try {
    const bitmap = await createImageBitmap(new Blob([bytes]));
    const scale = Math.min(1, 2048 / Math.max(bitmap.width, bitmap.height));
    const w = Math.max(1, Math.round(bitmap.width * scale)), hh = Math.max(1, Math.round(bitmap.height * scale));
    const c = document.createElement('canvas');
    c.width = w; c.height = hh;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0, w, hh);
    const data = ctx.getImageData(0, 0, w, hh).data;
    const buf = data.buffer.slice(0) as ArrayBuffer;
    send({ type: 'decoded', width: w, height: hh, data: buf }, [buf]);
  } catch (e) {
    send({ type: 'decodeFailed', message: `the browser could not decode ${name} (${(e as Error).message || 'unknown format'})` });
  }
}

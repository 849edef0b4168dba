/**
 * Zoom and pan of a map canvas, and where the pointer lands in the map: a view transform (canvas pixel =
 * map pixel · scale + t) kept so the image always covers the canvas. Pure (unit-tested in node).
 */

export interface ViewTransform { scale: number; tx: number; ty: number }
export const IDENTITY: ViewTransform = { scale: 1, tx: 0, ty: 0 };
export const MAX_ZOOM = 32;

/** Scale in [1, MAX_ZOOM]; the translation keeps the zoomed image over the whole w × h canvas. */
export function clampView(v: ViewTransform, w: number, h: number): ViewTransform {
  const scale = Math.max(1, Math.min(MAX_ZOOM, v.scale));
  const clamp = (t: number, size: number) => Math.max(size - size * scale, Math.min(0, t));
  return { scale, tx: clamp(v.tx, w), ty: clamp(v.ty, h) };
}

/** Zooms by `factor` about the canvas point (cx, cy), which stays under the pointer. */
export function zoomAt(v: ViewTransform, factor: number, cx: number, cy: number, w: number, h: number): ViewTransform {
  const scale = Math.max(1, Math.min(MAX_ZOOM, v.scale * factor));
  const k = scale / v.scale;
  return clampView({ scale, tx: cx - (cx - v.tx) * k, ty: cy - (cy - v.ty) * k }, w, h);
}

export function panBy(v: ViewTransform, dx: number, dy: number, w: number, h: number): ViewTransform {
  return clampView({ scale: v.scale, tx: v.tx + dx, ty: v.ty + dy }, w, h);
}

/** A pointer position (client pixels) → canvas pixels, for a canvas drawn scaled into `rect` by CSS. */
export function clientToCanvas(clientX: number, clientY: number, rect: { left: number; top: number; width: number; height: number }, canvas: { width: number; height: number }): [number, number] {
  return [((clientX - rect.left) * canvas.width) / rect.width, ((clientY - rect.top) * canvas.height) / rect.height];
}

/**
 * A canvas pixel → the map pixel drawn there (the map covers the canvas at scale 1, whatever its own size), or
 * undefined outside it.
 */
export function canvasToPlane(v: ViewTransform, x: number, y: number, canvas: { width: number; height: number }, plane: { width: number; height: number }): { x: number; y: number } | undefined {
  const px = Math.floor((((x - v.tx) / v.scale) * plane.width) / canvas.width);
  const py = Math.floor((((y - v.ty) / v.scale) * plane.height) / canvas.height);
  return px >= 0 && py >= 0 && px < plane.width && py < plane.height ? { x: px, y: py } : undefined;
}

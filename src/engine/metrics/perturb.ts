/** Shared by infidelity and max-sensitivity: the map as one attribution per input element, and seeded noise. */
import type { TensorData } from '../../protocol/types';
import type { MetricContext } from './types';
import { geometry, pixelRelevance } from './pixels';

/**
 * The map in the input's layout, one value per element: input-shaped maps as they are; smaller maps (a CAM's
 * (1, 1, h, w)) resampled to the input's pixels and given to every channel of a pixel.
 */
export function elementwise(ctx: MetricContext, map: TensorData): Float64Array {
  if (map.data.length === ctx.input.data.length && map.dims.length === ctx.input.dims.length) return Float64Array.from(map.data);
  const g = geometry(ctx);
  const plane = pixelRelevance(ctx, map, g, true);
  const out = new Float64Array(g.per);
  for (let p = 0; p < g.plane; p++) for (let c = 0; c < g.C; c++) out[p * g.pixStride + c * g.chanStride] = plane[p];
  return out;
}

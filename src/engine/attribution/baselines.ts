/** Reference inputs for path methods (Integrated Gradients): zero, black, uniform noise or a blurred copy. */
import type { TensorData } from '../../protocol/types';
import type { LoadedModel } from '../model';
import { imageToTensor } from '../preprocess';
import { gaussianBlur } from '../occlusion/fills';
import { isChannelsLast, nchwToNhwc, toChannelsFirst } from '../layout';
import { paramError } from '../errors';
import { Rng } from '../reconstruct/rng';

export type BaselineKind = 'zero' | 'black' | 'uniform' | 'blur';
export const BASELINES: readonly BaselineKind[] = ['zero', 'black', 'uniform', 'blur'];
const BLUR_SIGMA = 5;

/** The baseline for every item of `input` (same shape, the model's layout). */
export function baselineFor(kind: BaselineKind, model: LoadedModel, input: TensorData, seed: number): Float32Array {
  if (kind === 'zero') return new Float32Array(input.data.length);
  const pre = model.preprocessing();
  if (kind === 'blur') {
    const cf = toChannelsFirst(input, pre.layout);
    const [n, c, ...size] = cf.dims;
    const per = cf.data.length / n;
    const out = new Float32Array(cf.data.length);
    for (let b = 0; b < n; b++) out.set(gaussianBlur(cf.data.subarray(b * per, (b + 1) * per), c, size, BLUR_SIGMA), b * per);
    return isChannelsLast(input.dims, pre.layout) ? nchwToNhwc(out, cf.dims) : out;
  }
  if (input.dims.length !== 4) throw paramError('baseline', `${kind} needs an image input (N, C, H, W); use zero or blur for this input`);
  const [h, w] = pre.size;
  const random = new Rng(seed);
  const out = new Float32Array(input.data.length);
  const per = input.data.length / input.dims[0];
  for (let b = 0; b < input.dims[0]; b++) {
    const data = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) {
      for (let ch = 0; ch < 3; ch++) data[4 * i + ch] = kind === 'black' ? 0 : random.int(0, 255);
      data[4 * i + 3] = 255;
    }
    const t = imageToTensor({ width: w, height: h, data }, pre);
    if (t.data.length !== per) throw paramError('baseline', `${kind} is built at the preprocessing size ${h}×${w}, which does not match this input [${input.dims.join(', ')}]`);
    out.set(t.data, b * per);
  }
  return out;
}

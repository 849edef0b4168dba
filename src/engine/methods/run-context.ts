/** What a method with its own loop (occlusion, reconstruction) gets from the engine. */
import type { Progress, TargetSpec, TensorData } from '../../protocol/types';
import type { LoadedModel } from '../model';

export interface CancellationToken {
  readonly isCancellationRequested: boolean;
}

export interface MethodRunContext {
  model: LoadedModel;
  input: TensorData;
  target: TargetSpec;
  progress(p: Progress): void;
  token: CancellationToken;
}

/** What a method with its own loop (occlusion, reconstruction) gets from the engine. */
import type { ExplainResult, ParamValues, Progress, TargetSpec, TensorData } from '../../protocol/types';
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
  /** Runs another method (e.g. SmoothGrad's inner method on noisy copies) on other inputs with an explicit target. */
  explain(method: string, input: TensorData, target: TargetSpec, params?: ParamValues): Promise<ExplainResult>;
}

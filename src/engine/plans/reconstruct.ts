/** Plans of the reconstruction loops: they fetch only what the loop needs, not the model's outputs. */
import type { NodeRules } from '../backward/types';
import type { GraphPlan } from './types';

const gradientRules = (): NodeRules => ({ activation: 'gradient', linear: 'gradient' });
const noCheck = () => undefined;

/** Feature inversion: the gradient of ½‖target − fv_target_weight‖² w.r.t. the input. */
export const FEATURE_MATCH_PLAN: GraphPlan = {
  key: 'feature-match', foldBatchNorm: false, keep: [], check: noCheck,
  emit(ctx) {
    ctx.dropModelOutputs();
    return ctx.backward(ctx.b.sub(ctx.target, ctx.weight), [ctx.input], gradientRules).get(ctx.input)!;
  },
};

/** Only the target tensor itself (the features at a layer); no backward pass. */
export const FEATURES_PLAN: GraphPlan = {
  key: 'features', foldBatchNorm: false, keep: [], check: noCheck,
  emit(ctx) {
    ctx.dropModelOutputs();
    return ctx.target;
  },
};

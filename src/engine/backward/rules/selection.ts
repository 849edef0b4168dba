/**
 * Min / Max of any number of broadcasting inputs: the signal goes to the inputs equal to the result, split equally
 * among ties (as PyTorch's maximum/minimum), in every mode. With one input-dependent input and the others fixed
 * (Max(x, 0), Min(x, 6)) the op is a ReLU/Clip and follows the ReLU rules: deconvnet [δ]⁺, guided [δ]⁺·mask,
 * LRP identity.
 */
import { KEEPS_NON_NEGATIVE_ALL, type OpRule } from '../types';
import { toInput } from './elementwise';

export function selection(op: 'Min' | 'Max'): OpRule {
  return {
    op,
    // Min is ≥ 0 when every input is; Max when one is (a constant one too: Max(x, 0) is a ReLU).
    traits: { nonNegative: op === 'Min' ? KEEPS_NON_NEGATIVE_ALL : (n, nonNeg) => n.inputs.some(nonNeg) },
    backward(ctx) {
      const { b, node } = ctx;
      const dy = ctx.dy()!;
      if (node.inputs.length === 1) return [dy];
      const y = node.outputs[0];
      const masks = node.inputs.map((x) => b.mask('Equal', x, y));
      const share = (i: number) => b.div(masks[i], b.memo(`ties|${y}`, () => b.op('Sum', masks)));
      const dependent = node.inputs.map((_, i) => i).filter((i) => ctx.wants(i));
      if (dependent.length === 1) {
        const i = dependent[0];
        const rule = ctx.rules.activation;
        const signal = rule === 'pass' ? dy : rule === 'deconvnet' ? b.relu(dy)
          : b.mul(rule === 'guided' ? b.relu(dy) : dy, share(i));
        return node.inputs.map((_, j) => (j === i ? toInput(ctx, i, signal) : undefined));
      }
      return node.inputs.map((_, i) => (ctx.wants(i) ? toInput(ctx, i, b.mul(dy, share(i))) : undefined));
    },
  };
}

/** Relu: f'(x) = 1[x > 0], read off the output as Sign(y) ∈ {0, 1} so Conv+Relu fusion stays possible. */
import { reluLike } from './shared';

export const rule = reluLike('Relu', (ctx) => ctx.b.memo(`sign|${ctx.node.outputs[0]}`, () => ctx.b.op('Sign', [ctx.node.outputs[0]])));

/**
 * Which factor of a product of two input-dependent tensors is a gate. An activation written as x·g(x) (SiLU,
 * GELU as x·½(1 + erf(x/√2)), its tanh form, Mish, HardSwish) multiplies a signal by an elementwise squashing
 * function of the same tensor; LRP treats the whole product as one activation (identity rule), so the signal
 * factor gets all relevance. A factor produced directly by a Sigmoid/HardSigmoid (squeeze-excitation) is a gate too.
 */
import type { BackwardContext } from '../types';

const SQUASH = new Set(['Erf', 'Tanh', 'Sigmoid', 'HardSigmoid', 'Softplus', 'Softsign']);
const PASS = new Set(['Identity', 'Neg', 'Cast']);
const WITH_CONSTANT = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow']);
const GATES = new Set(['Sigmoid', 'HardSigmoid']);

interface Trace { source: string; squash: boolean }

/** The tensor t is an elementwise function of (its source); `squash` when that function passes a squashing op. */
function trace(ctx: BackwardContext, t: string, depth = 0): Trace {
  const n = ctx.producer(t);
  const self = { source: t, squash: false };
  if (!n || depth > 16) return self;
  if (SQUASH.has(n.op) || PASS.has(n.op)) {
    const inner = trace(ctx, n.inputs[0], depth + 1);
    return { source: inner.source, squash: inner.squash || SQUASH.has(n.op) };
  }
  if (!WITH_CONSTANT.has(n.op)) return self;
  const [p, q] = n.inputs;
  const pc = !!ctx.constant(p);
  const qc = !!ctx.constant(q);
  if (n.op === 'Pow' && !qc) return self;
  if (pc !== qc) return trace(ctx, pc ? q : p, depth + 1);
  if (pc) return self;
  const tp = trace(ctx, p, depth + 1);
  const tq = trace(ctx, q, depth + 1);
  return tp.source === tq.source ? { source: tp.source, squash: tp.squash || tq.squash } : self;
}

/** Index of the gated signal (0 or 1) when the other factor is a gate, else undefined. */
export function gatedSignal(ctx: BackwardContext): 0 | 1 | undefined {
  const [a, c] = ctx.node.inputs;
  const ta = trace(ctx, a);
  const tc = trace(ctx, c);
  if (ta.source === tc.source && ta.squash !== tc.squash) return tc.squash ? 0 : 1;
  const gateA = GATES.has(ctx.producerOp(a) ?? '');
  const gateC = GATES.has(ctx.producerOp(c) ?? '');
  if (gateC && !gateA) return 0;
  if (gateA && !gateC) return 1;
  return undefined;
}

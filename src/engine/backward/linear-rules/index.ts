/**
 * The linear-layer rules (docs/lrp-rules.md), one file each, found by name (../../discover.ts): each exports
 * `rule`, a LinearRuleDef written over the abstract LinearMap of ../lrp.ts, so it serves Conv, Gemm, MatMul,
 * ConvTranspose, BatchNorm, pools and sums alike. Adding a linear rule is adding its file.
 */
import { exportsNamed, modulesIn } from '../../discover';
import type { LinearRuleDef } from '../types';

const defs = exportsNamed<LinearRuleDef>(modulesIn(__dirname, /^(?!index\.)[a-z][\w-]*\.ts$/), 'rule');
const byId = new Map<string, LinearRuleDef>();
for (const d of defs) {
  if (byId.has(d.id)) throw new Error(`linear rule '${d.id}' is defined twice`);
  byId.set(d.id, d);
}

/** Rule ids, the gradient first (the rule grid's choices). */
export const LINEAR_RULES: readonly string[] = ['gradient', ...[...byId.keys()].filter((id) => id !== 'gradient').sort()];

export function linearRule(id: string): LinearRuleDef {
  const d = byId.get(id);
  if (!d) throw new Error(`no linear rule '${id}' (known: ${[...byId.keys()].join(', ')})`);
  return d;
}

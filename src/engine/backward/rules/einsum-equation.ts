/**
 * Einsum equations with explicit letters only: ellipses expanded to letters (right-aligned, as numpy), the implicit
 * output made explicit, and the equation of each operand's gradient (an Einsum of the output signal with the
 * other operands).
 */

export interface Equation {
  inputs: string[];
  output: string;
}

export class EinsumError extends Error {}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

export function parseEquation(equation: string, ranks: number[]): Equation {
  const eq = equation.replace(/\s+/g, '');
  const [lhs, rhs] = eq.split('->');
  const terms = lhs.split(',');
  if (terms.length !== ranks.length) throw new EinsumError(`equation '${equation}' has ${terms.length} operands, the node ${ranks.length}`);
  const used = new Set(eq.replace(/[^A-Za-z]/g, ''));
  const free = [...LETTERS].filter((l) => !used.has(l));
  const ellRanks = terms.map((t, k) => (t.includes('...') ? ranks[k] - t.replace('...', '').length : 0));
  const ell = free.slice(0, Math.max(0, ...ellRanks));
  const expand = (t: string, e: number) => t.replace('...', ell.slice(ell.length - e).join(''));
  const inputs = terms.map((t, k) => expand(t, ellRanks[k]));
  inputs.forEach((t, k) => {
    if (t.length !== ranks[k]) throw new EinsumError(`operand ${k} of '${equation}' has rank ${ranks[k]}, not ${t.length}`);
    if (new Set(t).size !== t.length) throw new EinsumError(`repeated index in operand '${terms[k]}' (a diagonal) is not supported`);
  });
  let output: string;
  if (rhs !== undefined) {
    output = expand(rhs, ell.length);
  } else {
    const counts = new Map<string, number>();
    for (const l of inputs.join('')) counts.set(l, (counts.get(l) ?? 0) + 1);
    const once = [...counts].filter(([l, c]) => c === 1 && !ell.includes(l)).map(([l]) => l).sort();
    output = ell.join('') + once.join('');
  }
  return { inputs, output };
}

/** Size of each letter, checking that operands agree (broadcast ellipsis dimensions are not supported). */
export function letterSizes(eq: Equation, shapes: number[][]): Map<string, number> {
  const sizes = new Map<string, number>();
  eq.inputs.forEach((t, k) => [...t].forEach((l, i) => {
    const d = shapes[k][i];
    const known = sizes.get(l);
    if (known !== undefined && known !== d) throw new EinsumError(`index '${l}' has sizes ${known} and ${d} (broadcasting in Einsum is not supported)`);
    sizes.set(l, d);
  }));
  return sizes;
}

/**
 * The gradient of operand k: Einsum(output signal, other operands) over the letters of operand k that occur
 * elsewhere; letters summed within operand k alone are restored by broadcasting (`missing` lists their axes).
 */
export function gradientEquation(eq: Equation, k: number): { equation: string; others: number[]; missing: number[] } {
  const others = eq.inputs.map((_, j) => j).filter((j) => j !== k);
  const elsewhere = new Set([eq.output, ...others.map((j) => eq.inputs[j])].join(''));
  const target = eq.inputs[k];
  const kept = [...target].filter((l) => elsewhere.has(l)).join('');
  const missing = [...target].map((l, i) => (elsewhere.has(l) ? -1 : i)).filter((i) => i >= 0);
  const equation = `${[eq.output, ...others.map((j) => eq.inputs[j])].join(',')}->${kept}`;
  return { equation, others, missing };
}

/**
 * Quadrature rules for path integrals over α ∈ [0, 1], as Captum defines them (approximation_methods.py): the
 * points α_k and weights w_k with ∫₀¹ g ≈ Σ w_k g(α_k).
 */
export type IntegrationRule = 'gausslegendre' | 'riemann-trapezoid' | 'riemann-left' | 'riemann-right' | 'riemann-middle';
export const INTEGRATION_RULES: readonly IntegrationRule[] = ['gausslegendre', 'riemann-trapezoid', 'riemann-left', 'riemann-right', 'riemann-middle'];

export function integrationPoints(rule: IntegrationRule, n: number): { alphas: number[]; weights: number[] } {
  const lin = (a: number, b: number) => Array.from({ length: n }, (_, k) => (n === 1 ? a : a + ((b - a) * k) / (n - 1)));
  switch (rule) {
    case 'riemann-left': return { alphas: lin(0, 1 - 1 / n), weights: new Array(n).fill(1 / n) };
    case 'riemann-right': return { alphas: lin(1 / n, 1), weights: new Array(n).fill(1 / n) };
    case 'riemann-middle': return { alphas: lin(1 / (2 * n), 1 - 1 / (2 * n)), weights: new Array(n).fill(1 / n) };
    case 'riemann-trapezoid': {
      // Captum's definition: steps of 1/n with the two ends halved (they sum to (n − 1)/n, not 1).
      if (n < 2) throw new Error('the trapezoid rule needs at least 2 steps');
      const w = new Array(n).fill(1 / n);
      w[0] = w[n - 1] = 1 / (2 * n);
      return { alphas: lin(0, 1), weights: w };
    }
    case 'gausslegendre': {
      const { nodes, weights } = gaussLegendre(n);
      return { alphas: nodes.map((x) => 0.5 * (1 + x)), weights: weights.map((w) => 0.5 * w) };
    }
  }
}

/** Gauss–Legendre nodes and weights on [−1, 1] (Newton's method on P_n from the Chebyshev-like first guesses), ascending. */
export function gaussLegendre(n: number): { nodes: number[]; weights: number[] } {
  const nodes = new Array<number>(n);
  const weights = new Array<number>(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      // P_n(x) and P_n'(x) by the three-term recurrence.
      let p0 = 1, p1 = x;
      for (let k = 2; k <= n; k++) [p0, p1] = [p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k];
      const pn = n === 1 ? x : p1;
      const pnm1 = n === 1 ? 1 : p0;
      dp = (n * (x * pn - pnm1)) / (x * x - 1);
      const dx = pn / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-15) break;
    }
    const w = 2 / ((1 - x * x) * dp * dp);
    nodes[i] = -x; weights[i] = w;
    nodes[n - 1 - i] = x; weights[n - 1 - i] = w;
  }
  return { nodes, weights };
}

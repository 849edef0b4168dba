/** First-order optimisers over a flat parameter vector (minimisation: they step against the gradient). */
export interface Optimizer {
  step(params: Float32Array, grad: Float32Array, lr: number): void;
}

export class Adam implements Optimizer {
  private m: Float32Array;
  private v: Float32Array;
  private t = 0;
  constructor(n: number, private readonly b1 = 0.9, private readonly b2 = 0.999, private readonly eps = 1e-8) {
    this.m = new Float32Array(n);
    this.v = new Float32Array(n);
  }
  step(p: Float32Array, g: Float32Array, lr: number): void {
    this.t++;
    const c1 = 1 - this.b1 ** this.t;
    const c2 = 1 - this.b2 ** this.t;
    const { m, v, b1, b2, eps } = this;
    for (let i = 0; i < p.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      p[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
    }
  }
}

/** SGD with (heavy-ball) momentum: v ← μv + g; p ← p − lr·v. */
export class Momentum implements Optimizer {
  private vel: Float32Array;
  constructor(n: number, private readonly mu = 0.9) {
    this.vel = new Float32Array(n);
  }
  step(p: Float32Array, g: Float32Array, lr: number): void {
    const { vel, mu } = this;
    for (let i = 0; i < p.length; i++) {
      vel[i] = mu * vel[i] + g[i];
      p[i] -= lr * vel[i];
    }
  }
}

export function makeOptimizer(kind: string, n: number): Optimizer {
  return kind === 'sgd' ? new Momentum(n) : new Adam(n);
}

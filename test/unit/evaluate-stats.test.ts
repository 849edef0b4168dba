/**
 * `featurevis evaluate --merge` statistics: the Student t quantile against scipy, the summary of a sample against
 * values worked by hand, and the plot's axis ticks.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { incompleteBeta, logGamma, summarise, tCdf, tQuantile } from '../../src/cli/evaluate-stats';
import { niceTicks } from '../../src/cli/evaluate-plot';

/** scipy 1.17.1, `stats.t.ppf(p, df)` (computed for this test in the jax venv; independent of this code). */
const SCIPY_T: [number, number, number][] = [
  [0.975, 1, 12.706204736174694], [0.975, 2, 4.302652729749462], [0.975, 3, 3.1824463052837078],
  [0.975, 4, 2.7764451051977934], [0.975, 5, 2.5705818356363146], [0.975, 7, 2.364624251592784],
  [0.975, 10, 2.228138851986274], [0.975, 19, 2.0930240544083087], [0.975, 29, 2.045229642132703],
  [0.975, 30, 2.0422724563012378], [0.975, 99, 1.9842169515864174], [0.975, 1000, 1.9623390808264083],
  [0.9, 5, 1.4758840488244815], [0.995, 3, 5.840909309733355], [0.6, 12, 0.25903274567688733], [0.999, 2, 22.327124770119866],
];

test('tQuantile equals scipy.stats.t.ppf to 1e-11 relative, and is odd about p = 0.5', () => {
  for (const [p, df, ref] of SCIPY_T) {
    const q = tQuantile(p, df);
    assert.ok(Math.abs(q - ref) <= 1e-11 * ref, `t(${p}, ${df}) = ${q}, scipy ${ref}`);
    assert.ok(Math.abs(tQuantile(1 - p, df) + q) <= 1e-11 * ref);
    assert.ok(Math.abs(tCdf(q, df) - p) < 1e-13);
  }
  assert.equal(tQuantile(0.5, 4), 0);
  assert.ok(Number.isNaN(tQuantile(0.975, 0)) && Number.isNaN(tQuantile(1, 3)));
});

test('closed forms: t with 1 df is Cauchy, 2 df has q = (2p − 1)·√(2 / (1 − (2p − 1)²)); Γ and I_x(a, b) at known points', () => {
  for (const p of [0.55, 0.8, 0.975, 0.9999]) {
    assert.ok(Math.abs(tQuantile(p, 1) - Math.tan(Math.PI * (p - 0.5))) < 1e-9 * Math.tan(Math.PI * (p - 0.5)));
    const a = 2 * p - 1;
    assert.ok(Math.abs(tQuantile(p, 2) - a * Math.sqrt(2 / (1 - a * a))) < 1e-10 * tQuantile(p, 2));
  }
  assert.ok(Math.abs(logGamma(5) - Math.log(24)) < 1e-13);
  assert.ok(Math.abs(logGamma(0.5) - 0.5 * Math.log(Math.PI)) < 1e-13);
  // I_x(1, 1) = x; I_x(a, 1) = x^a; I_x(2, 2) = 3x² − 2x³.
  assert.ok(Math.abs(incompleteBeta(0.3, 1, 1) - 0.3) < 1e-14);
  assert.ok(Math.abs(incompleteBeta(0.7, 3.5, 1) - 0.7 ** 3.5) < 1e-14);
  assert.ok(Math.abs(incompleteBeta(0.8, 2, 2) - (3 * 0.64 - 2 * 0.512)) < 1e-14);
});

test('summarise: mean, sample std, the t interval, min and max; n = 1 has no spread', () => {
  // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, Σ(x − 5)² = 32, sample variance 32/7.
  const s = summarise([2, 4, 4, 4, 5, 5, 7, 9]);
  assert.equal(s.n, 8);
  assert.equal(s.mean, 5);
  assert.ok(Math.abs(s.std - Math.sqrt(32 / 7)) < 1e-15);
  const half = 2.3646242515927840 * Math.sqrt(32 / 7) / Math.sqrt(8); // scipy t.ppf(0.975, 7)
  assert.ok(Math.abs(s.ciHigh - (5 + half)) < 1e-12 && Math.abs(s.ciLow - (5 - half)) < 1e-12);
  assert.deepEqual([s.min, s.max], [2, 9]);
  // Far from zero: the two-pass variance keeps its digits.
  const shifted = summarise([1e9 + 1, 1e9 + 2, 1e9 + 3]);
  assert.ok(Math.abs(shifted.std - 1) < 1e-6, `${shifted.std}`);
  const one = summarise([0.25]);
  assert.equal(one.mean, 0.25);
  assert.ok(Number.isNaN(one.std) && Number.isNaN(one.ciLow) && Number.isNaN(one.ciHigh));
  assert.equal(summarise([]).n, 0);
});

test('niceTicks: 1-2-5 steps covering the range, labels without float noise', () => {
  assert.deepEqual(niceTicks(0, 0.162), [0, 0.05, 0.1, 0.15, 0.2]);
  // Range 1.2 / 4 = 0.3 → step 0.5, widened to whole steps.
  assert.deepEqual(niceTicks(-0.3, 0.9), [-0.5, 0, 0.5, 1]);
  assert.deepEqual(niceTicks(0, 1), [0, 0.5, 1]);
  assert.deepEqual(niceTicks(0.001, 0.0042), [0.001, 0.002, 0.003, 0.004, 0.005]);
  assert.deepEqual(niceTicks(0, 40), [0, 10, 20, 30, 40]);
  assert.deepEqual(niceTicks(0, 0), [0, 0.5, 1]);
});

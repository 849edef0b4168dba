/** Shared test utilities: fixture loading and tensor comparison. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TargetSpec, TensorData } from '../../src/protocol/types';
import { readNpy } from '../../src/engine/npy';

export const FIXTURES = path.join(__dirname, '..', 'fixtures');

export interface FixtureCase {
  method: string;
  target: { tensor: string; class?: number[]; channel?: number; weights?: string };
  params: Record<string, number | string>;
  ref: string;
  conserves?: boolean;
  relevance_sum?: number[];
  target_value?: number[];
}

export interface Fixture {
  name: string;
  dir: string;
  model: string;
  input: TensorData;
  cases: FixtureCase[];
  tensors: Record<string, string>;
}

export function loadFixtures(): Fixture[] {
  return fs.readdirSync(FIXTURES).filter((d) => fs.existsSync(path.join(FIXTURES, d, 'cases.json'))).map((name) => {
    const dir = path.join(FIXTURES, name);
    const spec = JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'), 'utf8'));
    return { name, dir, model: path.join(dir, spec.model), input: readNpy(path.join(dir, spec.input)), cases: spec.cases, tensors: spec.tensors ?? {} };
  });
}

export function targetOf(fx: Fixture, c: FixtureCase): TargetSpec {
  const t = c.target;
  if (t.class) return { kind: 'class', index: t.class };
  if (t.channel !== undefined) return { kind: 'unit', tensor: t.tensor, channel: t.channel };
  return { kind: 'weights', tensor: t.tensor, weights: readNpy(path.join(fx.dir, t.weights!)) };
}

/** ‖a − b‖ / ‖b‖ (relative L2 error). */
export function relativeError(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}

export function sumOf(t: TensorData, item: number): number {
  const per = t.data.length / t.dims[0];
  let s = 0;
  for (let i = item * per; i < (item + 1) * per; i++) s += t.data[i];
  return s;
}

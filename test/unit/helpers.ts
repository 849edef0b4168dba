/** Shared test utilities: fixture loading, tensor comparison, an in-process transport pair, test photos. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TargetSpec, TensorData } from '../../src/protocol/types';
import { readNpy } from '../../src/engine/npy';
import { encodePng } from '../../src/engine/image/decode';
import type { Message, Transport } from '../../src/protocol/rpc';

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

/** Two in-process ends passing messages by structured clone, like fork's 'advanced' serialisation. */
export function transportPair(): [Transport, Transport] {
  const ls: [((m: Message) => void)[], ((m: Message) => void)[]] = [[], []];
  const mk = (me: 0 | 1): Transport => ({
    send: (m) => { const c = structuredClone(m); setImmediate(() => ls[1 - me].forEach((l) => l(c))); },
    onMessage: (l) => { ls[me].push(l); return () => { ls[me].splice(ls[me].indexOf(l), 1); }; },
  });
  return [mk(0), mk(1)];
}

/** A width × height PNG with structure everywhere (gradients and a checkerboard), written to `file`. */
export function writeTestPhoto(file: string, width = 300, height = 200): { width: number; height: number; data: Uint8Array } {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = 4 * (y * width + x);
      data[i] = (x * 255) / width; data[i + 1] = (y * 255) / height; data[i + 2] = ((x >> 4) + (y >> 4)) % 2 ? 220 : 40; data[i + 3] = 255;
    }
  }
  fs.writeFileSync(file, encodePng(width, height, data));
  return { width, height, data };
}

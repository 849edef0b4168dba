/**
 * Issue 3's interactive path: a parameter change → new heatmap received by the host, through the real engine
 * process (fork + structured-clone RPC), for gradient (no live parameter: a re-run) and LRP-ε (ε changes) on
 * ResNet-50 at 224². Reports the round trip, the engine's own compute and the transport overhead between them,
 * plus the engine process's cold start (fork → first answer).
 */
import * as path from 'node:path';
import { EngineClient } from '../src/host/engineClient';
import { Requests } from '../src/protocol/messages';
import { ensureBenchModels, peerPython, ROOT, type Row } from './common';

export async function benchLatency(): Promise<Row[]> {
  const py = peerPython();
  if (!py) throw new Error('no Python with torch + torchvision to export ResNet-50; set FEATUREVIS_PYTHON');
  const model = ensureBenchModels(py, ['resnet50']).resnet50;
  const client = new EngineClient({
    modulePath: path.join(ROOT, 'src', 'engine-process', 'main.ts'), execArgv: ['--import', 'tsx'],
    settings: () => ({ threads: Number(process.env.BENCH_THREADS ?? 2) }),
  });
  const rows: Row[] = [];
  try {
    const t0 = performance.now();
    await client.request(Requests.info, {});
    rows.push({ measure: 'engine process cold start (fork → first answer, tsx source)', ms: performance.now() - t0 });
    const { input } = await client.request(Requests.loadImage, { model, path: path.join(ROOT, 'assets', 'samples', 'chelsea.png') });
    for (const [method, values] of [['gradient', [undefined]], ['lrp-epsilon', [0.01, 0.05, 0.1, 0.25, 0.5, 1]]] as const) {
      await client.request(Requests.explain, { model, input, method, params: values[0] === undefined ? {} : { eps: values[0] } });
      const round: number[] = [];
      const compute: number[] = [];
      for (let i = 0; i < 7; i++) {
        const v = values[i % values.length];
        const t1 = performance.now();
        const r = await client.request(Requests.explain, { model, input, method, params: v === undefined ? {} : { eps: v } });
        round.push(performance.now() - t1);
        compute.push(r.timings.runMs);
      }
      const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
      rows.push({ measure: `${method} on ResNet-50: change → heatmap at the host (round trip)`, ms: med(round), 'engine compute ms': med(compute), 'transport + bookkeeping ms': med(round) - med(compute), goal: '≤ 250 ms' });
    }
  } finally {
    client.dispose();
  }
  return rows;
}

if (require.main === module) {
  benchLatency().then((rows) => console.table(rows), (e) => { console.error(e.message); process.exit(1); });
}

// The status bar's state machine (src/host/statusBar.ts): engine events → text, tooltip, colour and visibility,
// without vscode; and the same events as a real EngineClient fires them around a killed engine.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { EngineClient, type EngineEvent } from '../../src/host/engineClient';
import { COMPARED_KEY, EngineStatusBar, initialStatus, reduce, view, type StatusItem, type StatusState } from '../../src/host/statusBar';
import { Requests } from '../../src/protocol/messages';

const run = (events: EngineEvent[], from: StatusState = initialStatus) => events.reduce(reduce, from);

test('status bar: hidden until the engine first starts, then starting → idle', () => {
  assert.equal(view(initialStatus).visible, false);
  const starting = run([{ type: 'starting', pid: 7 }]);
  assert.deepEqual({ ...view(starting) }, {
    visible: true, severity: 'normal', text: '$(sync~spin) FeatureVis: starting engine',
    tooltip: 'The engine process (pid 7) is loading onnxruntime.\nClick to show the FeatureVis log.',
  });
  const idle = reduce(starting, { type: 'ready', pid: 7 });
  assert.equal(view(idle).text, '$(eye) FeatureVis: idle');
  assert.match(view(idle).tooltip, /pid 7\) is idle/);
  // A ready from some other process changes nothing.
  assert.equal(reduce(starting, { type: 'ready', pid: 8 }).phase, 'starting');
});

test('status bar: running shows the method and its progress; long runs win over short requests', () => {
  const s = run([
    { type: 'starting', pid: 1 }, { type: 'ready', pid: 1 },
    { type: 'request', id: 1, method: 'explain', detail: 'occlusion' },
    { type: 'progress', id: 1, fraction: 0.423, message: '40 of 96 windows' },
    { type: 'request', id: 2, method: 'predict' },
  ]);
  const v = view(s);
  assert.equal(v.text, '$(sync~spin) FeatureVis: occlusion 42% (+1)');
  assert.equal(v.tooltip, 'The engine (pid 1) is running:\n• occlusion 42% — 40 of 96 windows\n• predicting\nClick to show the FeatureVis log.');
  const s2 = run([{ type: 'done', id: 1 }], s);
  assert.equal(view(s2).text, '$(sync~spin) FeatureVis: predicting');
  assert.equal(view(run([{ type: 'done', id: 2 }], s2)).text, '$(eye) FeatureVis: idle');
  // A progress without a fraction keeps the last one; out-of-range fractions are clamped.
  const kept = run([{ type: 'progress', id: 1 }, { type: 'done', id: 2 }], s);
  assert.equal(view(kept).text, '$(sync~spin) FeatureVis: occlusion 42%');
  assert.equal(view(run([{ type: 'progress', id: 1, fraction: 1.7 }, { type: 'done', id: 2 }], s)).text, '$(sync~spin) FeatureVis: occlusion 100%');
  assert.equal(view(run([{ type: 'request', id: 3, method: 'evaluate', detail: 'gradient' }], run([{ type: 'done', id: 1 }, { type: 'done', id: 2 }], s))).text, '$(sync~spin) FeatureVis: scoring gradient');
});

test('status bar: requests while starting are listed as waiting', () => {
  const s = run([{ type: 'starting', pid: 3 }, { type: 'request', id: 1, method: 'model/summary' }]);
  assert.equal(view(s).text, '$(sync~spin) FeatureVis: starting engine');
  assert.match(view(s).tooltip, /Waiting:\n• reading model/);
});

test('status bar: a crash warns, the next start reads as a restart; a late exit of a replaced process is ignored', () => {
  const up = run([{ type: 'starting', pid: 10 }, { type: 'ready', pid: 10 }]);
  const crashed = reduce(up, { type: 'exit', pid: 10, crashed: true, message: 'The FeatureVis engine process was killed (SIGKILL).' });
  assert.deepEqual({ text: view(crashed).text, severity: view(crashed).severity }, { text: '$(warning) FeatureVis: engine crashed', severity: 'warning' });
  assert.match(view(crashed).tooltip, /killed \(SIGKILL\)\. It restarts with the next request\./);
  const again = reduce(crashed, { type: 'starting', pid: 11 });
  assert.equal(view(again).text, '$(sync~spin) FeatureVis: restarting engine');
  assert.match(view(again).tooltip, /after: The FeatureVis engine process was killed/);
  assert.equal(view(again).severity, 'normal');
  assert.equal(reduce(again, { type: 'exit', pid: 10, crashed: false, message: 'x' }), again, 'the old process\'s exit changes nothing');
  assert.equal(view(reduce(again, { type: 'ready', pid: 11 })).text, '$(eye) FeatureVis: idle');
  // A clean exit (code 0) is "off", not a crash.
  assert.equal(view(reduce(up, { type: 'exit', pid: 10, crashed: false, message: 'exited with code 0' })).text, '$(circle-slash) FeatureVis: engine off');
});

test('status bar: a requested restart, then stopped after too many crashes (error colour)', () => {
  const up = run([{ type: 'starting', pid: 4 }, { type: 'ready', pid: 4 }]);
  const r = reduce(up, { type: 'restart', reason: 'engine settings changed' });
  assert.equal(view(r).text, '$(debug-restart) FeatureVis: restarting');
  assert.match(view(r).tooltip, /stopped \(engine settings changed\); a fresh process starts with the next request/);
  assert.equal(reduce(r, { type: 'exit', pid: 4, crashed: false, message: 'x' }), r);
  const stopped = reduce(r, { type: 'refused', message: 'the FeatureVis engine crashed 4 times in the last 5 minutes; not restarting it.' });
  assert.deepEqual({ text: view(stopped).text, severity: view(stopped).severity }, { text: '$(error) FeatureVis: engine stopped', severity: 'error' });
  assert.match(view(stopped).tooltip, /crashed 4 times/);
  // A restart before the engine ever ran keeps the item hidden.
  assert.equal(view(reduce(initialStatus, { type: 'restart', reason: 'x' })).visible, false);
});

test('status bar item: text, colour, visibility and the "compared methods" context key', () => {
  const item: StatusItem & { shown: boolean } = {
    text: '', tooltip: undefined, command: undefined, backgroundColor: undefined, shown: false,
    show() { this.shown = true; }, hide() { this.shown = false; }, dispose() { /* nothing */ },
  };
  const keys: [string, unknown][] = [];
  const bar = new EngineStatusBar(item, (id) => `color:${id}`, (k, v) => keys.push([k, v]));
  assert.equal(item.shown, false);
  assert.equal(item.command, 'featurevis.showLog');
  bar.update({ type: 'starting', pid: 5 });
  assert.equal(item.shown, true);
  assert.equal(item.accessibilityInformation?.label, 'FeatureVis: starting engine');
  bar.update({ type: 'exit', pid: 5, crashed: true, message: 'gone' });
  assert.equal(item.backgroundColor, 'color:statusBarItem.warningBackground');
  bar.update({ type: 'starting', pid: 6 });
  assert.equal(item.backgroundColor, undefined);
  for (const [i, m] of ['gradient', 'gradient', 'lrp-epsilon', 'grad-cam', 'occlusion'].entries()) {
    bar.update({ type: 'request', id: i, method: 'explain', detail: m });
    bar.update({ type: 'done', id: i });
  }
  bar.update({ type: 'request', id: 9, method: 'evaluate', detail: 'rise' });
  assert.deepEqual(bar.current.methods, ['gradient', 'lrp-epsilon', 'grad-cam', 'occlusion'], 'distinct explained methods; evaluate is not explaining');
  assert.deepEqual(keys, [[COMPARED_KEY, true]], 'set once, at the third distinct method');
});

const root = path.resolve(__dirname, '../..');
const events: EngineEvent[] = [];
const client = new EngineClient({
  modulePath: path.join(root, 'src/engine-process/main.ts'), execArgv: ['--import', 'tsx'],
  env: { FEATUREVIS_TEST_HOOKS: '1' }, heartbeatMs: 0,
});
client.onState((e) => events.push(e));
after(() => client.dispose());

test('engine client events drive the status bar: start, run with progress, crash, restart', async () => {
  const model = path.join(root, 'test/fixtures/convnet/model.onnx');
  const img = await client.request(Requests.loadImage, { model, path: path.join(root, 'assets/samples/chelsea.png') });
  const first = client.pid;
  assert.ok(first !== undefined);
  assert.deepEqual(events.slice(0, 2).map((e) => e.type), ['starting', 'request']);
  assert.ok(events.some((e) => e.type === 'ready' && e.pid === first), 'ready once the engine spoke');
  assert.equal(view(run(events)).text, '$(eye) FeatureVis: idle');
  // Occlusion streams its windows: the status bar sees the method and a fraction while it runs.
  const seen: string[] = [];
  const n = events.length;
  const off = client.onState(() => seen.push(view(run(events)).text));
  await client.request(Requests.explain, { model, input: img.input, method: 'occlusion', params: { stride: [4, 4], batch: 4 } }, { onProgress: () => undefined });
  off.dispose();
  assert.deepEqual(events[n], { type: 'request', id: (events[n] as { id: number }).id, method: 'explain', detail: 'occlusion' });
  assert.ok(seen.some((t) => /^\$\(sync~spin\) FeatureVis: occlusion \d+%$/.test(t)), `progress shown: ${seen.join(' | ')}`);
  assert.equal(events.at(-1)?.type, 'done');
  assert.equal(view(run(events)).text, '$(eye) FeatureVis: idle');
  client.kill();
  await new Promise<void>((r) => { const t = setInterval(() => { if (events.some((e) => e.type === 'exit')) { clearInterval(t); r(); } }, 20); });
  assert.equal(view(run(events)).text, '$(warning) FeatureVis: engine crashed');
  await client.request(Requests.info, {});
  assert.equal(view(run(events)).text, '$(eye) FeatureVis: idle');
  assert.ok(run(events).restarted);
  client.restart('test');
  assert.equal(view(run(events)).text, '$(debug-restart) FeatureVis: restarting');
});

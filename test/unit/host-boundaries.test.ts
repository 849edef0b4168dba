import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { diffLayers } from '../../src/host/inspector-diff';
import { Disposable, Emitter, toDisposable } from '../../src/host/disposable';
import { errorCode, errorMessage, paramErrorText } from '../../src/host/errors';
import { pathSpec, runParams } from '../../src/host/runParams';
import { RpcError } from '../../src/protocol/rpc';
import type { ErrorPayload, ParamSpec } from '../../src/protocol/types';

const root = path.resolve(__dirname, '../..');
const files = (dir: string): string[] => fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);
const imports = (f: string) => [...fs.readFileSync(path.join(root, f), 'utf8').matchAll(/(?:from|import|require\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);

test('host code never imports onnxruntime-node or the engine', () => {
  for (const f of files('src/host')) {
    for (const i of imports(f)) assert.ok(!/onnxruntime|\/engine\//.test(i), `${f} imports ${i}`);
  }
});

test('protocol imports nothing outside itself; webview imports no Node modules', () => {
  for (const f of files('src/protocol')) for (const i of imports(f)) assert.match(i, /^\.\//, `${f} imports ${i}`);
  for (const f of files('webview-ui')) for (const i of imports(f)) assert.ok(!/^node:|^vscode$|onnxruntime|src\/(engine|host)/.test(i), `${f} imports ${i}`);
});

test('inspector layer diff names added, removed and reshaped layers', () => {
  const l = (tensor: string, shape: number[]) => ({ tensor, node: tensor, op: 'Conv', shape, params: 0 });
  const d = diffLayers([l('a', [1, 8, 4, 4]), l('b', [1, 8, 2, 2])], [l('a', [1, 16, 4, 4]), l('c', [1, 4])]);
  assert.deepEqual(d, { added: ['c'], removed: ['b'], reshaped: ['a'] });
});

test('only the webview bundle entry acquires the VS Code API (views, paint and store take it injected)', () => {
  for (const f of files('webview-ui')) {
    const code = fs.readFileSync(path.join(root, f), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    const calls = /acquireVsCodeApi\(\)/.test(code);
    assert.equal(calls, f === path.join('webview-ui', 'index.ts'), f);
  }
});

test('run parameters: path values come from the host\'s choices only; blanks are left to the engine', () => {
  const specs: ParamSpec[] = [
    { name: 'eps', label: 'ε', kind: 'number', default: 0.1 },
    { name: 'cache-dir', label: 'Cache folder', kind: 'path', pathKind: 'folder', default: '' },
    { name: 'database', label: 'Patch database', kind: 'path', pathKind: 'file', default: '' },
  ];
  const sent = { eps: 0.5, blank: '', none: undefined, 'cache-dir': '/etc', database: '/home/me/db.bin' };
  assert.deepEqual(runParams(sent, specs), { eps: 0.5 }, 'nothing chosen: typed paths are dropped');
  assert.deepEqual(runParams(sent, specs, { 'cache-dir': '/ws/cache' }), { eps: 0.5, 'cache-dir': '/ws/cache' });
  assert.equal(pathSpec(specs, 'database')?.pathKind, 'file');
  assert.equal(pathSpec(specs, 'eps'), undefined, 'not a path parameter');
  assert.equal(pathSpec(specs, 'nope'), undefined);
});

test('parameter errors are worded with the control\'s label; other errors keep their message', () => {
  const specs: ParamSpec[] = [{ name: 'layer', label: 'Layer', kind: 'layer', required: true }];
  const err = (payload: ErrorPayload) => new RpcError(payload);
  const missing = err({ code: 'InvalidParams', message: 'layer is required: the representation to invert', param: 'layer', reason: 'is required: the representation to invert' });
  assert.equal(errorMessage(missing, specs), 'Layer is required: the representation to invert');
  assert.equal(errorMessage(missing), 'layer is required: the representation to invert', 'no specs: the engine\'s message');
  assert.equal(errorMessage(err({ code: 'InvalidParams', message: 'x bad', param: 'x', reason: 'bad' }), specs), 'x bad', 'unknown parameter: the message');
  assert.equal(errorMessage(err({ code: 'InvalidParams', message: 'unknown method' }), specs), 'unknown method');
  assert.equal(paramErrorText({ code: 'Internal', message: 'm', param: 'layer', reason: 'r' }, specs), undefined, 'only InvalidParams');
  assert.match(errorMessage(err({ code: 'UnsupportedOp', message: 'no rule for Foo', working: ['cam'] })), /no rule for Foo — methods that work on this model: cam/);
  assert.equal(errorCode(missing), 'InvalidParams');
  assert.equal(errorMessage(new Error('plain')), 'plain');
});

test('Disposable disposes what it owns once, newest first, even when one throws; Emitter unsubscribes', () => {
  const order: string[] = [];
  class Owner extends Disposable {
    constructor() {
      super();
      this.register(toDisposable(() => order.push('first')));
      this.register(toDisposable(() => { order.push('throws'); throw new Error('x'); }));
      this.register(toDisposable(() => order.push('last')));
    }
    add(name: string) { this.register(toDisposable(() => order.push(name))); }
  }
  const o = new Owner();
  o.dispose();
  o.dispose();
  assert.deepEqual(order, ['last', 'throws', 'first']);
  assert.equal(o.isDisposed, true);
  o.add('late');
  assert.equal(order.at(-1), 'late', 'registered after dispose: disposed at once');
  const e = new Emitter<number>();
  const got: number[] = [];
  const sub = e.event((v) => got.push(v));
  e.fire(1);
  sub.dispose();
  e.fire(2);
  assert.deepEqual(got, [1]);
});

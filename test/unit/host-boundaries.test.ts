import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { diffLayers } from '../../src/host/inspector-diff';

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

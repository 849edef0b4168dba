// Webview → host messages added for the typed slots and path parameters: checked like the others.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWebviewMessage, slotKey, type Slot } from '../../src/protocol/messages';

const run = (slot: unknown) => ({ type: 'run', seq: 1, slot, method: 'gradient', params: {}, target: { kind: 'top' } });

test('slots are a typed union: main, a method-grid cell or a model-grid cell', () => {
  for (const slot of ['main', { kind: 'method', method: 'gradient' }, { kind: 'model', model: '/ws/a.onnx' }, { kind: 'model', model: '' }] as Slot[]) {
    const r = parseWebviewMessage(run(slot));
    assert.ok(r.ok && r.message.type === 'run', JSON.stringify(slot));
    if (r.ok && r.message.type === 'run') assert.deepEqual(r.message.slot, slot);
    const c = parseWebviewMessage({ type: 'cancel', slot });
    assert.ok(c.ok && c.message.type === 'cancel' && slotKey(c.message.slot) === slotKey(slot));
  }
  for (const slot of ['grid:gradient', 'model:/x.onnx', { kind: 'method' }, { kind: 'method', method: 3 }, { kind: 'model' }, { kind: 'other', method: 'x' }, null, 7]) {
    const r = parseWebviewMessage(run(slot));
    assert.equal(r.ok, false, JSON.stringify(slot));
    if (!r.ok) assert.match(r.error, /slot/);
    assert.equal(parseWebviewMessage({ type: 'cancel', slot }).ok, false);
  }
  const extra = parseWebviewMessage(run({ kind: 'method', method: 'gradient', evil: true }));
  assert.deepEqual(extra.ok && extra.message.type === 'run' && extra.message.slot, { kind: 'method', method: 'gradient' }, 'only known fields pass');
});

test('slot keys are distinct per slot', () => {
  const keys = (['main', { kind: 'method', method: 'main' }, { kind: 'model', model: 'main' }, { kind: 'method', method: 'a' }, { kind: 'model', model: 'a' }] as Slot[]).map(slotKey);
  assert.equal(new Set(keys).size, keys.length);
});

test('pickPath names a method and a parameter, nothing else', () => {
  const ok = parseWebviewMessage({ type: 'pickPath', method: 'patch-replace', param: 'cache-dir', path: '/etc' });
  assert.deepEqual(ok.ok && ok.message, { type: 'pickPath', method: 'patch-replace', param: 'cache-dir' }, 'a path sent along is dropped');
  for (const [msg, why] of [
    [{ type: 'pickPath', param: 'cache-dir' }, /pickPath.method/],
    [{ type: 'pickPath', method: 'patch-replace', param: 42 }, /pickPath.param/],
    [{ type: 'pickPath', method: 'x'.repeat(200), param: 'p' }, /pickPath.method/],
  ] as [unknown, RegExp][]) {
    const r = parseWebviewMessage(msg);
    assert.equal(r.ok, false, JSON.stringify(msg));
    if (!r.ok) assert.match(r.error, why);
  }
});

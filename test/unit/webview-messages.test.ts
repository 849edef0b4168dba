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

test('trust requests: a slot, a method, its parameters, a target and only the Trust metrics', () => {
  const base = { type: 'trust', seq: 3, slot: { kind: 'method', method: 'gradient' }, method: 'gradient', params: { eps: 0.1 }, target: { kind: 'top' } };
  const ok = parseWebviewMessage({ ...base, metrics: ['deletion', 'insertion', 'deletion'] });
  assert.ok(ok.ok);
  if (ok.ok && ok.message.type === 'trust') {
    assert.deepEqual(ok.message.metrics, ['deletion', 'insertion'], 'duplicates dropped');
    assert.deepEqual(ok.message.slot, { kind: 'method', method: 'gradient' });
  }
  for (const [bad, why] of [
    [{ ...base, metrics: [] }, /non-empty list of deletion, insertion, randomisation/],
    [{ ...base, metrics: ['road'] }, /non-empty list/],
    [{ ...base, slot: undefined, metrics: ['deletion'] }, /trust.slot/],
    [{ ...base, seq: -1, metrics: ['deletion'] }, /trust.seq/],
    [{ ...base, region: { y0: 5, x0: 0, y1: 2, x1: 4 }, metrics: ['deletion'] }, /trust.region/],
  ] as const) {
    const r = parseWebviewMessage(bad);
    assert.ok(!r.ok && why.test(r.error), JSON.stringify(bad));
  }
  assert.deepEqual(parseWebviewMessage({ type: 'cancelTrust', extra: 1 }), { ok: true, message: { type: 'cancelTrust' } });
});

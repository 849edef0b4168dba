/** The rule registry: one file per op, each registered exactly once, each covered by a finite-difference check. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RuleRegistry, defaultRegistry } from '../../src/engine/backward/registry';
import { ALL_RULES } from '../../src/engine/backward/rules';
import { UNARY_TABLE } from '../../src/engine/backward/rules/unary-table';
import { MethodRegistry, methods } from '../../src/engine/methods';

const RULES_DIR = path.join(__dirname, '..', '..', 'src', 'engine', 'backward', 'rules');
const ruleFiles = fs.readdirSync(RULES_DIR).filter((f) => /^[A-Z]\w*\.ts$/.test(f)).map((f) => f.slice(0, -3));

test('registering a second rule for an op throws', () => {
  const r = new RuleRegistry([ALL_RULES[0]]);
  assert.throws(() => r.register({ ...ALL_RULES[0] }), /already registered/);
});

test('registering a second method with the same id throws', () => {
  const m = methods.all()[0];
  assert.throws(() => new MethodRegistry([m, { ...m }]), /already registered/);
});

test('every rule file (and unary-table line) is registered once, under the op it is named after', () => {
  const ops = ALL_RULES.map((r) => r.op);
  assert.equal(new Set(ops).size, ops.length, 'duplicate ops in ALL_RULES');
  const tableOps = new Set(UNARY_TABLE.map(([op]) => op));
  assert.deepEqual(ops.filter((op) => !tableOps.has(op)).sort(), [...ruleFiles].sort());
  for (const op of tableOps) assert.equal(defaultRegistry.get(op)?.op, op);
  for (const op of ruleFiles) assert.equal(defaultRegistry.get(op)?.op, op);
});

test('every registered op has a finite-difference check', () => {
  const source = fs.readdirSync(__dirname).filter((f) => /^gradcheck.*\.test\.ts$/.test(f))
    .map((f) => fs.readFileSync(path.join(__dirname, f), 'utf8')).join('\n');
  for (const op of defaultRegistry.ops()) assert.match(source, new RegExp(`op: '${op}'`), `no gradcheck case for ${op}`);
});

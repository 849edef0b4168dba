/** Maps ONNX op types to their backward rules. Registration is explicit, and a second rule for an op throws. */
import type { OpRule } from './types';
import { ALL_RULES } from './rules';

export class RuleRegistry {
  private readonly rules = new Map<string, OpRule>();

  constructor(rules: readonly OpRule[] = []) {
    for (const r of rules) this.register(r);
  }

  register(rule: OpRule): void {
    if (this.rules.has(rule.op)) throw new Error(`a backward rule for ${rule.op} is already registered`);
    this.rules.set(rule.op, rule);
  }

  get(op: string): OpRule | undefined {
    return this.rules.get(op);
  }

  ops(): string[] {
    return [...this.rules.keys()].sort();
  }
}

export const defaultRegistry = new RuleRegistry(ALL_RULES);

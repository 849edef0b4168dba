/**
 * Every backward rule, one per ONNX op type: each file named exactly as its op (`Conv.ts`) exports `rule`, and is
 * found by its name (see ../../discover.ts); elementwise unary ops are lines of unary-table.ts. Lower-case files
 * are helpers shared by several rules. Adding an op is adding its file.
 */
import type { OpRule } from '../types';
import { exportsNamed, modulesIn } from '../../discover';
import { UNARY_RULES } from './unary-table';

export const ALL_RULES: readonly OpRule[] = [...exportsNamed<OpRule>(modulesIn(__dirname, /^[A-Z]\w*\.ts$/), 'rule'), ...UNARY_RULES];

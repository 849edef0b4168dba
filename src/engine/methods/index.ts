/**
 * The method registry: every file of this folder that exports `method` (or `methods`) is found by its name (see
 * ../discover.ts), so adding a method is adding its file. A duplicate id throws. Listed by family (the paper's three classes), then by id.
 */
import type { MethodFamily, MethodInfo } from '../../protocol/types';
import { exportsNamed, modulesIn } from '../discover';
import type { Method } from './types';

const FAMILY_ORDER: readonly MethodFamily[] = ['deconvolution', 'cam', 'occlusion', 'reconstruction'];

export class MethodRegistry {
  private readonly methods = new Map<string, Method>();
  constructor(methods: Method[]) {
    for (const m of methods) this.register(m);
  }
  register(m: Method): void {
    if (this.methods.has(m.id)) throw new Error(`method '${m.id}' is already registered`);
    this.methods.set(m.id, m);
  }
  get(id: string): Method | undefined {
    return this.methods.get(id);
  }
  all(): Method[] {
    return [...this.methods.values()];
  }
  infos(): MethodInfo[] {
    return this.all().map(({ id, title, family, summary, params, output, wraps }) => ({ id, title, family, summary, params, output, ...(wraps ? { wraps } : {}) }));
  }
}

// A file exports `method`, or `methods` when it defines variants of one method.
const modules = modulesIn(__dirname, /^(?!index\.)[a-z][\w-]*\.ts$/);
const found = [...exportsNamed<Method>(modules, 'method'), ...exportsNamed<Method[]>(modules, 'methods').flat()];
found.sort((a, b) => FAMILY_ORDER.indexOf(a.family) - FAMILY_ORDER.indexOf(b.family) || a.id.localeCompare(b.id));

export const methods = new MethodRegistry(found);

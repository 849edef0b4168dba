/** The method registry: every method once, by id; a duplicate id throws. */
import type { MethodInfo } from '../../protocol/types';
import type { Method } from './types';
import { method as gradient } from './gradient';
import { method as inputXGradient } from './input-x-gradient';
import { method as deconvnet } from './deconvnet';
import { method as guidedBackprop } from './guided-backprop';
import { method as lrpEpsilon } from './lrp-epsilon';
import { method as lrpAlphaBeta } from './lrp-alpha-beta';
import { method as lrpComposite } from './lrp-composite';
import { method as ruleGrid } from './rule-grid';
import { method as cam } from './cam';
import { method as gradCam } from './grad-cam';
import { method as guidedGradCam } from './guided-grad-cam';
import { method as occlusion } from './occlusion';
import { method as activationMax } from './activation-max';
import { method as invert } from './invert';
import { method as patchReplace } from './patch-replace';
import { method as invertGenerative } from './invert-generative';

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
    return this.all().map(({ id, title, family, summary, params, output }) => ({ id, title, family, summary, params, output }));
  }
}

export const methods = new MethodRegistry([
  gradient, inputXGradient, deconvnet, guidedBackprop, lrpEpsilon, lrpAlphaBeta, lrpComposite, ruleGrid, cam, gradCam, guidedGradCam,
  activationMax, occlusion,
  invert, patchReplace, invertGenerative,
]);

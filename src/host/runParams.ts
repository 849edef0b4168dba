/**
 * The parameters the host sends to the engine for a panel's `run` (no `vscode` import: unit-tested). Path
 * parameters are the host's: whatever the webview sent for them is dropped and the paths chosen in this panel's
 * dialogs are used (a webview must never choose where a method reads or writes).
 */
import type { ChosenPaths } from '../protocol/messages';
import type { ParamSpec, ParamValues } from '../protocol/types';

export function runParams(sent: ParamValues, specs: readonly ParamSpec[], chosen: ChosenPaths[string] = {}): ParamValues {
  const paths = new Set(specs.filter((s) => s.kind === 'path').map((s) => s.name));
  const out: ParamValues = {};
  for (const [k, v] of Object.entries(sent)) if (v !== undefined && v !== '' && !paths.has(k)) out[k] = v;
  for (const name of paths) if (chosen[name]) out[name] = chosen[name];
  return out;
}

/** The path parameter `param` of `method`, if the method declares one by that name. */
export function pathSpec(specs: readonly ParamSpec[], param: string): Extract<ParamSpec, { kind: 'path' }> | undefined {
  const s = specs.find((x) => x.name === param);
  return s?.kind === 'path' ? s : undefined;
}

/**
 * Consent for `featurevis.exportCommand` / `featurevis.exportOnSave`. A cloned repository's .vscode/settings.json
 * can set both; trusting a workspace is not consent to a shell command nobody showed the user. So a command (or
 * glob) that comes from the workspace runs only after the user approved that exact command string, remembered per
 * workspace by its sha256. User-level values run as before. No `vscode` import: the decision is unit-tested.
 */
import { createHash } from 'node:crypto';

/** One setting's values by origin (from `inspect()`): `workspace` is the folder value, else the workspace value. */
export interface SettingOrigins {
  user?: string;
  workspace?: string;
}

export type ExportDecision =
  | { kind: 'none'; reason: string }
  | { kind: 'run'; command: string; glob: string }
  | { kind: 'ask'; command: string; glob: string; hash: string };

export function commandHash(command: string): string {
  return createHash('sha256').update(command, 'utf8').digest('hex');
}

const effective = (o: SettingOrigins): { value: string; fromWorkspace: boolean } => {
  if (o.workspace !== undefined) return { value: o.workspace.trim(), fromWorkspace: true };
  return { value: o.user?.trim() ?? '', fromWorkspace: false };
};

export function exportDecision(input: {
  command: SettingOrigins;
  glob: SettingOrigins;
  approvedHashes: readonly string[];
  trusted: boolean;
}): ExportDecision {
  const command = effective(input.command), glob = effective(input.glob);
  if (!command.value || !glob.value) return { kind: 'none', reason: 'no export command or glob is set' };
  // Restricted Mode: nothing runs, whoever set it (package.json lists both as restricted configurations).
  if (!input.trusted) return { kind: 'none', reason: 'the workspace is not trusted' };
  if (!command.fromWorkspace && !glob.fromWorkspace) return { kind: 'run', command: command.value, glob: glob.value };
  const hash = commandHash(command.value);
  if (input.approvedHashes.includes(hash)) return { kind: 'run', command: command.value, glob: glob.value };
  return { kind: 'ask', command: command.value, glob: glob.value, hash };
}

/** Key of the approved hashes in `context.workspaceState` (per workspace by construction). */
export const APPROVED_KEY = 'featurevis.approvedExportCommands';

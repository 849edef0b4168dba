/** A small argv parser: `--name value`, `--name=value`, `--flag`, positionals. */
import { invalidParams } from '../engine/errors';

export interface Args {
  positionals: string[];
  flags: Map<string, string | true>;
}

export function parseArgs(argv: string[], booleanFlags: Set<string> = new Set()): Args {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq > 0 ? eq : undefined);
    if (eq > 0) flags.set(name, a.slice(eq + 1));
    else if (booleanFlags.has(name) || i + 1 >= argv.length || argv[i + 1].startsWith('--')) flags.set(name, true);
    else flags.set(name, argv[++i]);
  }
  return { positionals, flags };
}

export function str(args: Args, name: string): string | undefined {
  const v = args.flags.get(name);
  if (v === true) throw invalidParams(`--${name} needs a value`);
  return v;
}

export function num(args: Args, name: string): number | undefined {
  const v = str(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw invalidParams(`--${name} must be a number, got '${v}'`);
  return n;
}

export function required(args: Args, name: string, what: string): string {
  const v = str(args, name);
  if (!v) throw invalidParams(`--${name} is required (${what})`);
  return v;
}

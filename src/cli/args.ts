/**
 * The flags a command reads (`Args`) and the tokens behind the ones commander cannot know statically.
 *
 * commander (program.ts) parses every command's own options; the parameters of the chosen methods and metrics
 * (`--eps`, `--of lrp-epsilon --samples 8`, `--deletion.steps 20`) depend on other flags' values, so commander
 * passes them through as unknown tokens, `parseArgs` reads them here, and each command checks them against the
 * schemas with a did-you-mean (`unknownFlag`). Programmatic callers (the tests, `demo`) build Args with parseArgs too.
 */
import { invalidParams } from '../engine/errors';

export interface Args {
  positionals: string[];
  flags: Map<string, string | true>;
}

/** `--name value`, `--name=value`, `--flag` (a boolean, or followed by another flag), positionals. */
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

/** Optimal string alignment distance (Levenshtein with transpositions), as commander's own suggestions use. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The closest candidates to `word` (at most 3 edits and 40 % of its length off), as commander picks them. */
export function similar(word: string, candidates: Iterable<string>): string[] {
  let best = 3;
  let out: string[] = [];
  for (const c of new Set(candidates)) {
    if (c.length <= 1) continue;
    const dist = editDistance(word, c);
    const length = Math.max(word.length, c.length);
    if ((length - dist) / length <= 0.4) continue;
    if (dist < best) {
      best = dist;
      out = [c];
    } else if (dist === best) out.push(c);
  }
  return out.sort((a, b) => a.localeCompare(b));
}

/** `; did you mean --eps?` when a candidate is close, else ''. */
export function didYouMean(flag: string, candidates: Iterable<string>, prefix = ''): string {
  const s = similar(flag, candidates);
  return s.length ? `; did you mean ${s.map((c) => `--${prefix}${c}`).join(' or ')}?` : '';
}

/** The error for a flag that is none of `candidates`: `--epss is not an option of lrp-epsilon (…); did you mean --eps?`. */
export function unknownFlag(flag: string, where: string, candidates: Iterable<string>, tail = ''): Error {
  return invalidParams(`--${flag} is not an option of ${where}${tail}${didYouMean(flag, candidates)}`);
}

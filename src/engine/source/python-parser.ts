/**
 * The Python parser: web-tree-sitter with the Python grammar, both WebAssembly (no native build), from
 * @vscode/tree-sitter-wasm. The bundled engine process finds the .wasm files in `dist/tree-sitter/` (copied by
 * scripts/build-extension.mjs); under tsx and in tests they are read from node_modules.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Language, Parser, type Node as SyntaxNode, type Tree } from '@vscode/tree-sitter-wasm';

export type { SyntaxNode, Tree };

export const WASM_FILES = ['tree-sitter.wasm', 'tree-sitter-python.wasm'] as const;

/** The folder holding WASM_FILES: next to the bundle first, then the installed package. */
export function wasmDir(): string {
  const bundled = path.join(__dirname, 'tree-sitter');
  if (WASM_FILES.every((f) => fs.existsSync(path.join(bundled, f)))) return bundled;
  // Through a variable: a bundle keeps the look-up for run time instead of resolving it at build time.
  const pkg = '@vscode/tree-sitter-wasm/package.json';
  return path.join(path.dirname(require.resolve(pkg)), 'wasm');
}

let parser: Promise<Parser> | undefined;

/** One parser per process (initialising the runtime and the grammar takes tens of milliseconds). */
export function pythonParser(): Promise<Parser> {
  parser ??= (async () => {
    const dir = wasmDir();
    await Parser.init({ locateFile: (file: string) => path.join(dir, file) });
    const python = await Language.load(fs.readFileSync(path.join(dir, 'tree-sitter-python.wasm')));
    const p = new Parser();
    p.setLanguage(python);
    return p;
  })();
  parser.catch(() => (parser = undefined));
  return parser;
}

export async function parsePython(text: string): Promise<Tree> {
  const tree = (await pythonParser()).parse(text);
  if (!tree) throw new Error('the Python parser returned no tree');
  return tree;
}

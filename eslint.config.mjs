// Lint: typescript-eslint's recommended rules plus the layer boundaries (engine, CLI and engine process never
// import vscode; host never imports onnxruntime-node or the engine; protocol imports nothing; the webview runs in a
// browser: no Node modules, vscode, engine or host).
import tseslint from 'typescript-eslint';

const noImports = (patterns, message) => ['error', { patterns: [{ group: patterns, message }] }];
const onlyRelative = (message) => ['error', { patterns: [{ regex: '^(?!\\./)', message }] }];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/e2e/out/**', '.cache/**', '**/*.mjs', '**/*.js'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['src/engine/**/*.ts', 'src/cli/**/*.ts', 'src/engine-process/**/*.ts'], rules: { 'no-restricted-imports': noImports(['vscode'], 'the engine runs outside VS Code') } },
  { files: ['src/host/**/*.ts'], rules: { 'no-restricted-imports': noImports(['onnxruntime-node', '**/engine/**'], 'the host talks to the engine process through the protocol') } },
  { files: ['src/protocol/**/*.ts'], rules: { 'no-restricted-imports': onlyRelative('protocol is plain shared types: it imports only its own files') } },
  { files: ['webview-ui/**/*.ts'], rules: { 'no-restricted-imports': noImports(['node:*', 'vscode', 'onnxruntime-node', '**/engine/**', '**/host/**', '**/cli/**'], 'the webview runs in a browser: it imports only src/protocol and its own files') } },
);

// Lint: typescript-eslint's recommended rules plus the layer boundaries of DESIGN (engine never imports vscode;
// host never imports onnxruntime-node or the engine; protocol imports nothing).
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
  { files: ['src/engine/**/*.ts', 'src/cli/**/*.ts'], rules: { 'no-restricted-imports': noImports(['vscode'], 'the engine runs outside VS Code') } },
  { files: ['src/host/**/*.ts'], rules: { 'no-restricted-imports': noImports(['onnxruntime-node', '**/engine/**'], 'the host talks to the engine process through the protocol') } },
  { files: ['src/protocol/**/*.ts'], rules: { 'no-restricted-imports': onlyRelative('protocol is plain shared types: it imports only its own files') } },
);

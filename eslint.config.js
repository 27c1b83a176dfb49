// The layering of src/ (STYLE.md; issue 18): dependencies flow one way. The library's upper layers reach a
// backend only through its interface (backend/backend.ts) and init() (backend/registry.ts); backends know nothing
// of tensors or autograd; the engine does not pick a concrete backend. `npm run lint`; test/architecture checks it.
import tsParser from '@typescript-eslint/parser';

const upperLayers = ['nn', 'train', 'finetune', 'serve', 'cli', 'optim', 'data', 'metrics', 'explain', 'io', 'report',
  'tune', 'keras', 'models', 'export'];

const backendInternals = {
  group: ['**/backend/cpu/**', '**/backend/wasm/**', '**/backend/winograd-layout.js'],
  message: 'backend internals: use the Backend interface (backend/backend.ts) or init() and friends (backend/registry.ts)',
};

export default [
  { files: ['src/**/*.ts'], languageOptions: { parser: tsParser, sourceType: 'module' } },
  {
    files: upperLayers.map((dir) => `src/${dir}/**/*.ts`),
    rules: { 'no-restricted-imports': ['error', { patterns: [backendInternals] }] },
  },
  {
    files: ['src/tensor/**/*.ts', 'src/autograd/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ ...backendInternals, message: 'the engine works on any backend: it does not name a concrete one (the package entries choose)' }] }] },
  },
  {
    // registry.ts is the composition root that activates a backend (it calls tensor/engine's setBackend).
    files: ['src/backend/**/*.ts'],
    ignores: ['src/backend/registry.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/tensor/**', '**/autograd/**', '**/ops/**', '**/nn/**'], message: 'backends know nothing of tensors, autograd or ops' }] }],
    },
  },
];

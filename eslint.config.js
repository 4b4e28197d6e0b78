// ESLint flat config for the browser site, the Node tests and the benchmark peers. Formatting is Prettier's
// job (`make lint` runs `prettier --check`), so only correctness rules live here.
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['site/vendor/**', 'node_modules/**', 'docs/benchmarks/**', 'test-artifacts/**', 'dist/**'] },
  js.configs.recommended,
  {
    files: ['site/**/*.js'],
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.browser } },
  },
  {
    files: ['tests/js/**/*.{js,mjs}', 'bench/**/*.{js,mjs}', 'scripts/**/*.mjs', 'eslint.config.js', 'vite.config.js'],
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
  },
  {
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
];

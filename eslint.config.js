// ESLint flat config for the browser site (its Vue components too), the Node tests and the benchmark peers.
// Formatting is Prettier's job (`make lint` runs `prettier --check`), so only correctness rules live here: Vue's
// recommended rules without their layout rules.
import js from '@eslint/js';
import pluginVue from 'eslint-plugin-vue';
import globals from 'globals';

export default [
  { ignores: ['node_modules/**', 'docs/benchmarks/**', 'test-artifacts/**', 'dist/**'] },
  js.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  pluginVue.configs['no-layout-rules'],
  {
    files: ['site/**/*.{js,vue}'],
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

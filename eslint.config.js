// ESLint (flat config) with typescript-eslint's type-aware rules: `npm run lint`.
// The rules chosen guard what the compiler cannot: promises nobody awaits or
// handles, promises where a callback expects void, awaits of non-promises.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', 'vendor/**', 'prebuilds/**', 'node_modules/**', '.cache/**', '.pakostii/**', 'coverage/**'] },
  {
    files: ['**/*.ts', '**/*.mts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // containerd's methods are named in one place: the typed ports of lib/containerd/api.ts.
    files: ['**/*.ts', '**/*.mts'],
    ignores: ['lib/containerd/api.ts', 'lib/containerd/grpc.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name=/^(unary|serverStream|bidiStream)$/]",
          message: "call containerd through its typed ports (api(grpc).<service>.<method>, lib/containerd/api.ts), not by service and method name",
        },
      ],
    },
  },
);

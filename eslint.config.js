// The architecture as lint rules, plus a few correctness rules (`npm run lint`).
//
// Layers are written by folder, so they hold when modules move or split inside
// a folder. Each layer lists what it MAY import of dv's own code (an
// allow-list; its own folder is always allowed): any other import of src/ is
// upward or sideways and fails lint. The README's layer table says the same
// (test/lint/layers.test.ts compares the two and proves the rules fire).
import { defineConfig } from 'eslint/config'
import importX, { createNodeResolver } from 'eslint-plugin-import-x'
import tseslint from 'typescript-eslint'

const root = import.meta.dirname

/** Paths are relative to the repository root; a folder allows everything under it. */
export const LAYERS = [
  { target: 'src/errors.ts', allow: [], why: 'the bottom of the stack' },
  { target: 'src/ids.ts', allow: ['src/errors.ts'], why: 'the bottom of the stack' },
  { target: 'src/format', allow: ['src/errors.ts', 'src/ids.ts'], why: 'pure parse/serialize, no I/O' },
  { target: 'src/store', allow: ['src/errors.ts', 'src/ids.ts'], why: 'stores know bytes and names, not the format' },
  { target: 'src/refs', allow: ['src/format', 'src/store', 'src/api-types.ts', 'src/errors.ts', 'src/ids.ts'], why: 'not workspace, table or io (api-types.ts: the result types it returns)' },
  { target: 'src/workspace', allow: ['src/format', 'src/store', 'src/refs', 'src/table', 'src/errors.ts', 'src/ids.ts'], why: 'the local .dv/ files; it implements table\'s WorkspacePort: not io' },
  { target: 'src/io', allow: ['src/format', 'src/errors.ts', 'src/ids.ts'], why: 'the data engine: not store, refs, workspace or table' },
  {
    target: 'src/table',
    allow: ['src/format', 'src/store', 'src/refs', 'src/io/types.ts', 'src/api-types.ts', 'src/errors.ts', 'src/ids.ts'],
    why: 'the engine is passed in through the contract in io/types.ts, the workspace through WorkspacePort; never the facade',
  },
  { target: 'src/api-types.ts', allow: ['src/format', 'src/io/types.ts', 'src/errors.ts', 'src/ids.ts'], why: 'the public result types' },
  { target: 'cli', allow: ['src/index.ts', 'src/api-types.ts'], why: 'the CLI is a user of the public API (api-types.ts: its constants without loading the library at start-up)' },
  {
    target: 'bench',
    allow: [
      'src/index.ts', // the public API: what users run
      // Internals a benchmark names on purpose: stages.ts and pipeline-profile.ts time one
      // stage below the API; sandbox.ts times the predicate sandbox; s3.ts, s3-commits.ts
      // and pipeline.ts drive a raw store; object-files.ts reads the objects a run wrote.
      'src/ids.ts', 'src/store/index.ts', 'src/store/types.ts', 'src/format/index.ts',
      'src/io/index.ts', 'src/io/duck.ts', 'src/io/source.ts', 'src/io/scan.ts',
      'src/io/sandbox.ts', 'src/io/predicate.ts', 'src/table/write.ts',
    ],
    why: 'the public API, or internals a benchmark names to time one stage',
  },
]

// A zone restricts imports of src/ from `target`, except its own folder and `allow`.
const zones = [
  ...LAYERS.map(({ target, allow, why }) => ({
    target: `./${target}`,
    from: './src',
    except: [target, ...allow].filter((p) => p.startsWith('src/')).map((p) => `./${p.slice(4)}`),
    message: `${target} may import only ${allow.join(', ') || 'nothing of dv'} (${why}); see the layer table in README.md.`,
  })),
  { target: './src', from: ['./cli', './bench', './test'], message: 'the library never imports the CLI, benchmarks or tests.' },
]

export default defineConfig(
  { ignores: ['dist/**', 'node_modules/**', 'bench/data/**', '.tmp/**', '.stryker-tmp/**', 'reports/**'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parser: tseslint.parser,
      // test/tsconfig.json gives the tests (outside the build) their type information.
      parserOptions: { projectService: { allowDefaultProject: ['vitest.config.ts', 'vitest.mutate.config.ts'] }, tsconfigRootDir: root },
    },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX },
    settings: {
      // NodeNext: `./x.js` in a specifier is `./x.ts` (or .tsx) on disk.
      'import-x/resolver-next': [createNodeResolver({
        extensions: ['.ts', '.tsx', '.js', '.mjs', '.json', '.node'],
        extensionAlias: { '.js': ['.ts', '.tsx', '.js'], '.mjs': ['.mts', '.mjs'] },
      })],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: root, zones }],
      // An import the resolver cannot follow would slip past the layer rules unseen.
      'import-x/no-unresolved': 'error',
      'import-x/no-cycle': 'error',

      // Correctness: each is a bug class, not a style.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // `return promise` inside try skips the catch and the finally's ordering.
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/only-throw-error': 'error',
      // passing a caught error on is fine
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // a switch over a union without `default` must name every member (a new write mode, type or op)
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'eqeqeq': ['error', 'smart'],
      'no-async-promise-executor': 'error',
      'no-cond-assign': 'error',
      'no-constant-condition': 'error',
      'no-dupe-keys': 'error',
      'no-loss-of-precision': 'error',
      'no-self-compare': 'error',
      'no-sparse-arrays': 'error',
      'no-template-curly-in-string': 'error',
      'no-unreachable': 'error',
      'no-unsafe-finally': 'error',
      'no-unsafe-optional-chaining': 'error',
      'use-isnan': 'error',
      'valid-typeof': 'error',
    },
  },
)

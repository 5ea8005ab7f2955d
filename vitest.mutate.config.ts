import { defineConfig } from 'vitest/config'

/**
 * The unit suites StrykerJS runs against each mutant (stryker.config.mjs).
 * In-process suites only: the CLI, crash, race, S3 and concurrency suites spawn
 * child processes from dist/, which runs the unmutated build and defeats
 * per-test coverage. DV_MUTATE_TESTS (comma-separated globs) narrows the set
 * further for a run over one layer.
 */
const narrowed = process.env.DV_MUTATE_TESTS?.split(',').filter(Boolean)

export default defineConfig({
  test: {
    include: narrowed ?? [
      'test/format/**/*.test.ts',
      'test/refs/**/*.test.ts',
      'test/table/**/*.test.ts',
      'test/store/**/*.test.ts',
      'test/workspace/**/*.test.ts',
    ],
    exclude: ['test/store/crash.test.ts', 'test/store/race.test.ts', '**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Mutant schemata switch mutants at run time: no need to re-import the
    // modules for every test file of every mutant (the bulk of the run time).
    isolate: false,
  },
})

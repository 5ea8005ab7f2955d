// @ts-check
/**
 * Mutation testing (issue 14 §1): `npm run mutate` runs the whole thing,
 * `npm run mutate:changed` only the target files changed since the recorded
 * baseline (.ci/mutate-changed.sh, run by .ci/run).
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
// .ci/mutate.sh runs one layer ("group") at a time and names its files after it.
const group = process.env.DV_MUTATE_GROUP ?? 'all'

export default {
  testRunner: 'vitest',
  // The runner's own pool option overrides the config's (its default is
  // threads): forks, as `npm test`, where process.env.TZ and chdir work.
  vitest: { configFile: 'vitest.mutate.config.ts', pool: 'forks' },
  plugins: ['@stryker-mutator/vitest-runner'],
  coverageAnalysis: 'perTest',
  // Static mutants (module-level constants: regexes, tables, frozen sets) are
  // covered by no single test, so each one would run the whole test set: a
  // third of the mutants of src/format but over 90% of the run time. They are
  // reported as ignored and left out of the score.
  ignoreStatic: true,
  mutate: [
    'src/format/**/*.ts',
    'src/refs/**/*.ts',
    'src/table/**/*.ts',
    'src/store/local.ts',
    'src/store/local-*.ts',
  ],
  // Two cores shared by several engineers: one test process at a time
  // unless DV_MUTATE_CONCURRENCY says otherwise.
  concurrency: Number(process.env.DV_MUTATE_CONCURRENCY ?? 1),
  // Added to each mutant's expected test time: ends mutants that loop forever.
  timeoutMS: 10_000,
  incremental: true,
  incrementalFile: process.env.DV_MUTATE_INCREMENTAL_FILE ?? `reports/stryker-incremental-${group}.json`,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${group}.html` },
  jsonReporter: { fileName: `reports/mutation/${group}.json` },
  thresholds: { high: 80, low: 70, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
}

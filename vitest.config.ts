import { availableParallelism } from 'node:os'
import { configDefaults, defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // PyIceberg reading every exported snapshot takes minutes of dv processes on 2 cores:
    // `npm run test:interop` (DV_INTEROP=1), a step of its own in .ci/run
    exclude: [...configDefaults.exclude, ...(process.env.DV_INTEROP === '1' ? [] : ['test/cli/iceberg-export.test.ts', 'test/interop/**'])],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // vitest runs cores - 1 files at once: one on the 2-core CI machine. Most
    // suites wait on child processes, fsync and HTTP rather than compute, so
    // three at once on 2 cores cut the wall time (README, "Two commands").
    maxWorkers: Math.max(3, availableParallelism() - 1),
    // builds dist/ once when stale; suites that spawn the CLI or the library run it
    globalSetup: ['test/support/global-setup.ts'],
  },
})

import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // builds dist/ once when stale; suites that spawn the CLI or the library run it
    globalSetup: ['test/support/global-setup.ts'],
  },
})

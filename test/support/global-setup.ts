/** vitest globalSetup: builds dist/ once, before any test file, when it is stale (test/support/dist.ts). */
import { buildDist, isDistStale } from './dist.js'

export default function setup(): void {
  if (isDistStale()) buildDist()
}

/** Kept for the crash suites' imports: dist/ is built once by vitest's globalSetup (test/support/dist.ts). */
import { distIndex, repoRoot, requireDist } from '../support/dist.js'

export { distIndex, repoRoot }

export async function ensureDistBuilt(): Promise<string> {
  requireDist()
  return Promise.resolve(distIndex)
}

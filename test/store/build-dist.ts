/**
 * Child processes of the store's crash and race tests run the compiled store:
 * the same build-if-stale step as every other suite that spawns children.
 */
import { join } from 'node:path'
import { ensureDistBuilt, repoRoot } from '../crash/ensure-dist.js'

export { repoRoot }

/** Builds dist/ if stale; returns the path of the compiled store module. */
export async function ensureStoreBuilt(): Promise<string> {
  await ensureDistBuilt()
  return join(repoRoot, 'dist', 'src', 'store', 'index.js')
}

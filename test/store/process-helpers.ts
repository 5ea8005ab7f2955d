/** Spawning the child scripts of the store's crash and race tests. */
import { join } from 'node:path'
import { repoRoot } from './build-dist.js'
import { runNode, type ChildResult } from '../support/run-node.js'

export type { ChildResult }

export const fixtures = join(repoRoot, 'test', 'store', 'fixtures')

export function runChild(script: string, args: string[], env: Record<string, string> = {}): Promise<ChildResult> {
  return runNode(join(fixtures, script), args, env)
}

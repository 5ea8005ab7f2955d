/**
 * What `dv write --commit` and `dv commit` record of what produced the commit
 * (format-spec/snapshot.md#lineage): the Git work tree the command runs in
 * (its working directory) and the `--meta key=value` pairs.
 */
import type { LineageOptions } from '../src/api-types.js'
import { usageError } from './context.js'

/** commander's collector for a repeatable `--meta key=value`. */
export function collectMeta(value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

export async function lineageOptions(meta: string[] | undefined): Promise<LineageOptions> {
  const pairs: Record<string, string> = {}
  for (const item of meta ?? []) {
    const eq = item.indexOf('=')
    if (eq <= 0) return usageError(`--meta '${item}' is not KEY=VALUE`, 'e.g. --meta run-id=scheduled__2026-01-03 (the key may not be empty)')
    const key = item.slice(0, eq)
    if (Object.hasOwn(pairs, key)) return usageError(`--meta names '${key}' twice`, 'give each key once')
    pairs[key] = item.slice(eq + 1)
  }
  // the directory the command was started in (not -C: the repository may live outside the code)
  return { codeDir: process.cwd(), ...(Object.keys(pairs).length ? { meta: pairs } : {}) }
}

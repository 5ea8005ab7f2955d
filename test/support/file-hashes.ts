/**
 * What a refused request must leave byte-identical: the SHA-256 of every file
 * under some directories of a repository, keyed by the path below its root.
 */
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'

/** The hash of every file under `dirs` (relative to `root`; a missing one counts as empty), keyed by its path from `root`. */
export async function hashFiles(root: string, dirs: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name)
      if (e.isDirectory()) await walk(p)
      else out[p.slice(root.length)] = await hashFile(p)
    }
  }
  for (const d of dirs) await walk(join(root, d))
  return out
}

export async function hashFile(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex')
}

/**
 * Child processes of the crash and race tests run the compiled store
 * (dist/src/store/index.js). `npm test` builds first; when dist is missing or
 * older than the sources (running vitest alone), compile just the store.
 */
import { execFile } from 'node:child_process'
import { mkdir, readdir, rmdir, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const distStoreIndex = join(repoRoot, 'dist', 'src', 'store', 'index.js')

async function mtime(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs
  } catch {
    return undefined
  }
}

async function isStale(): Promise<boolean> {
  const sources = [
    ...(await readdir(join(repoRoot, 'src', 'store'))).filter((f) => f.endsWith('.ts')).map((f) => `src/store/${f}`),
    'src/errors.ts',
    'src/ids.ts',
  ]
  for (const source of sources) {
    const built = await mtime(join(repoRoot, 'dist', source.replace(/\.ts$/, '.js')))
    const src = await mtime(join(repoRoot, source))
    if (built === undefined || src === undefined || built < src) return true
  }
  return false
}

export async function ensureStoreBuilt(): Promise<string> {
  // Test files run in parallel processes: one builds at a time, the others wait and re-check.
  const lock = join(repoRoot, 'dist', '.store-build.lock')
  await mkdir(dirname(lock), { recursive: true })
  for (let waited = 0; ; waited += 100) {
    try {
      await mkdir(lock)
      break
    } catch (e) {
      if (waited > 60_000) throw e
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  try {
    if (await isStale()) {
      try {
        await promisify(execFile)('npx', ['tsc', '-p', 'test/store/tsconfig.store.json'], { cwd: repoRoot })
      } catch (e) {
        // tsc still emits on type errors (which belong to whoever owns the file); fail only without output.
        if ((await mtime(distStoreIndex)) === undefined) throw e
      }
    }
  } finally {
    await rmdir(lock)
  }
  return distStoreIndex
}

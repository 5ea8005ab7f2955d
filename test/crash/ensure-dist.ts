/**
 * Child processes of the crash and concurrency suites import the compiled
 * library (dist/src/index.js). CI builds before vitest; when dist is missing
 * or older than any source under src/ (running vitest alone), build it once.
 * Test files run in parallel processes: one builds, the others wait.
 */
import { execFile } from 'node:child_process'
import { mkdir, readdir, rmdir, stat } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const distIndex = join(repoRoot, 'dist', 'src', 'index.js')

async function mtime(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs
  } catch {
    return undefined
  }
}

async function sourcesUnder(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name)
    if (e.isDirectory()) out.push(...(await sourcesUnder(path)))
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(path)
  }
  return out
}

async function isStale(): Promise<boolean> {
  for (const source of await sourcesUnder(join(repoRoot, 'src'))) {
    const built = await mtime(join(repoRoot, 'dist', relative(repoRoot, source).replace(/\.ts$/, '.js')))
    if (built === undefined || built < (await mtime(source))!) return true
  }
  return false
}

export async function ensureDistBuilt(): Promise<string> {
  const lock = join(repoRoot, 'dist', '.lib-build.lock')
  await mkdir(dirname(lock), { recursive: true })
  for (let waited = 0; ; waited += 100) {
    try {
      await mkdir(lock)
      break
    } catch (e) {
      if (waited > 120_000) throw e
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  try {
    if (await isStale()) {
      try {
        await promisify(execFile)('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: repoRoot })
      } catch (e) {
        // tsc still emits on type errors (which belong to whoever owns the file); fail only without output
        if ((await mtime(distIndex)) === undefined) throw e
      }
    }
  } finally {
    await rmdir(lock)
  }
  return distIndex
}

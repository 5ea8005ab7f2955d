/**
 * The compiled tree (dist/) that child processes of the CLI, crash, race and
 * concurrency suites run. `npm test` builds it first; a vitest run on its own
 * builds it once in globalSetup (test/support/global-setup.ts) when it is
 * missing or older than any file of src/, cli/ or bench/. Test files only
 * check that it is there: no test file builds, so none waits on another.
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const distIndex = join(repoRoot, 'dist', 'src', 'index.js')
export const distCli = join(repoRoot, 'dist', 'cli', 'main.js')

function newestSource(dir: string): number {
  let newest = 0
  if (!existsSync(dir)) return newest
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name)
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p))
    else if (/\.tsx?$/.test(entry.name)) newest = Math.max(newest, statSync(p).mtimeMs)
  }
  return newest
}

function oldestOutput(): number {
  return Math.min(...[distIndex, distCli].map((p) => (existsSync(p) ? statSync(p).mtimeMs : 0)))
}

export function isDistStale(): boolean {
  return oldestOutput() < Math.max(...['src', 'cli', 'bench'].map((d) => newestSource(join(repoRoot, d))))
}

/**
 * `npm run build`: `tsc -p tsconfig.json`, then the CLI bundle (rolldown.config.mjs), so that
 * spawned CLIs run what users run. Type errors still emit JavaScript, so only missing output fails.
 */
export function buildDist(): void {
  try {
    execFileSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: repoRoot, stdio: 'pipe' })
  } catch (e) {
    if (!existsSync(distIndex) || !existsSync(distCli)) throw e
  }
  execFileSync(process.execPath, [join(repoRoot, 'node_modules/rolldown/bin/cli.mjs'), '-c', 'rolldown.config.mjs', '--logLevel', 'warn'], { cwd: repoRoot, stdio: 'pipe' })
}

/** Throws unless dist/ holds the compiled library and CLI (globalSetup builds them). */
export function requireDist(): void {
  for (const p of [distIndex, distCli]) {
    if (!existsSync(p)) throw new Error(`${p} is missing: run \`npm run build\` (vitest's globalSetup builds it when stale)`)
  }
}

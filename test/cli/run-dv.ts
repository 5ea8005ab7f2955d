/** Spawns the built `dv` (dist/cli/main.js), building it first when dist is stale. */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const DV = path.join(ROOT, 'dist/cli/main.js')

function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)
  }
  return newest
}

/** Runs `tsc -p tsconfig.json` when dist/cli/main.js is missing or older than cli/ or src/. */
function isStale(): boolean {
  const built = existsSync(DV) ? statSync(DV).mtimeMs : 0
  return built < Math.max(newestMtime(path.join(ROOT, 'cli')), newestMtime(path.join(ROOT, 'src')))
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/**
 * Runs `tsc -p tsconfig.json` when dist/cli/main.js is missing or older than
 * cli/ or src/. Test files run in parallel: a lock directory serialises builds.
 */
export function buildIfStale(): void {
  if (!isStale()) return
  const lock = path.join(ROOT, '.dv-test-build.lock')
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(lock)
      break
    } catch {
      if (waited > 120_000) rmSync(lock, { recursive: true, force: true })
      sleep(200)
    }
  }
  try {
    if (!isStale()) return
    try {
      execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'pipe' })
    } catch {
      // type errors elsewhere still emit JavaScript; the spawned CLI tells whether it works
    }
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
  if (!existsSync(DV)) throw new Error(`build did not produce ${DV}`)
}

export interface DvRun {
  code: number
  stdout: string
  stderr: string
  /** stdout split into lines, without the final empty one. */
  lines: string[]
}

export interface DvRunOptions {
  cwd: string
  input?: string
  env?: Record<string, string>
  /** Options for node itself, before the script (e.g. --import HOOK). */
  nodeArgs?: string[]
}

export function runDv(args: string[], options: DvRunOptions): DvRun {
  const env: NodeJS.ProcessEnv = { ...process.env, DV_AUTHOR: 'Test <test@example.com>', ...options.env }
  delete env.DV_DIR
  delete env.DV_DEBUG
  if (options.env?.DV_DIR) env.DV_DIR = options.env.DV_DIR
  const r = spawnSync(process.execPath, [...(options.nodeArgs ?? []), DV, ...args], {
    cwd: options.cwd, env, encoding: 'utf8', input: options.input ?? '', timeout: 60_000, maxBuffer: 64 << 20,
  })
  if (r.error) throw r.error
  const stdout = r.stdout ?? ''
  return { code: r.status ?? -1, stdout, stderr: r.stderr ?? '', lines: stdout.split('\n').filter((l, i, a) => i < a.length - 1 || l !== '') }
}

/** Runs a shell pipeline with `dv` defined as the built CLI. */
export function runShell(script: string, cwd: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', `set -euo pipefail; dv() { node "${DV}" "$@"; }; ${script}`], { cwd, encoding: 'utf8', timeout: 60_000 })
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' }
}

export function makeSampleData(dir: string): void {
  execFileSync(process.execPath, [path.join(ROOT, 'examples/make-sample-data.mjs'), dir], { stdio: 'pipe' })
}

/**
 * Runs the built `dv` without blocking the test process (so several can run
 * at once), its stdout sent to `stdoutFile` (binary output stays intact) or
 * dropped.
 */
export async function runDvToFile(args: string[], options: { cwd: string; stdoutFile?: string }): Promise<{ code: number; stderr: string }> {
  const { spawn } = await import('node:child_process')
  const { openSync, closeSync } = await import('node:fs')
  const out = options.stdoutFile ? openSync(options.stdoutFile, 'w') : 'ignore'
  try {
    return await new Promise((resolve, reject) => {
      const env: NodeJS.ProcessEnv = { ...process.env, DV_AUTHOR: 'Test <test@example.com>' }
      delete env.DV_DIR
      delete env.DV_DEBUG
      const child = spawn(process.execPath, [DV, ...args], { cwd: options.cwd, env, stdio: ['ignore', out, 'pipe'] })
      let stderr = ''
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
      child.on('error', reject)
      child.on('close', (code) => resolve({ code: code ?? -1, stderr }))
    })
  } finally {
    if (typeof out === 'number') closeSync(out)
  }
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++])
  }))
}

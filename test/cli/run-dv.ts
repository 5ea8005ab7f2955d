/** Spawns the built `dv` (dist/cli/main.js), building it first when dist is stale. */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { distCli, requireDist } from '../support/dist.js'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const DV = distCli

/** dist/ is built once by vitest's globalSetup (test/support/dist.ts); this only checks it is there. */
export function buildIfStale(): void {
  requireDist()
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

function dvEnv(options: DvRunOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DV_AUTHOR: 'Test <test@example.com>', ...options.env }
  delete env.DV_DIR
  delete env.DV_DEBUG
  if (options.env?.DV_DIR) env.DV_DIR = options.env.DV_DIR
  return env
}

function dvRun(code: number | null, stdout: string, stderr: string): DvRun {
  return { code: code ?? -1, stdout, stderr, lines: stdout.split('\n').filter((l, i, a) => i < a.length - 1 || l !== '') }
}

export function runDv(args: string[], options: DvRunOptions): DvRun {
  const r = spawnSync(process.execPath, [...(options.nodeArgs ?? []), DV, ...args], {
    cwd: options.cwd, env: dvEnv(options), encoding: 'utf8', input: options.input ?? '', timeout: 60_000, maxBuffer: 64 << 20,
  })
  if (r.error) throw r.error
  return dvRun(r.status, r.stdout ?? '', r.stderr ?? '')
}

/**
 * runDv without blocking the test process: independent invocations (read-only
 * commands, failures that change nothing) run at once with Promise.all.
 */
export function runDvAsync(args: string[], options: DvRunOptions): Promise<DvRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), DV, ...args], { cwd: options.cwd, env: dvEnv(options), timeout: 60_000 })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve(dvRun(code, stdout, stderr)))
    child.stdin.end(options.input ?? '')
  })
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
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
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

/**
 * The repository the `dv query` suites read: table events committed as 'one' (ids 1-3, tagged v1),
 * then 'two' (id 4), in a new temporary directory made with `prefix`. Returns the directory and v1's short id.
 */
export function queryRepo(prefix: string): { work: string; v1: string } {
  buildIfStale()
  const work = mkdtempSync(path.join(tmpdir(), prefix))
  const dv = (...args: string[]) => {
    const r = runDv(args, { cwd: work })
    if (r.code !== 0) throw new Error(`dv ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
    return r.stdout
  }
  dv('init')
  writeFileSync(path.join(work, 'e.csv'), 'id,kind\n1,a\n2,b\n3,a\n')
  dv('write', 'events', 'e.csv', '--commit', '-m', 'one')
  dv('tag', 'v1')
  const v1 = dv('log', '-n', '1', '--format=%h').trim()
  writeFileSync(path.join(work, 'f.csv'), 'id,kind\n4,c\n')
  dv('write', 'events', 'f.csv', '--commit', '-m', 'two')
  return { work, v1 }
}

/** The heavy modules dv loads only when a command needs them. */
export const WATCHED_MODULES = String.raw`/duckdb|parquet-wasm|apache-arrow|@aws-sdk|ajv|node_modules\/(yaml|avsc|ink|react)\//`

/**
 * A `node --import` hook, written to `dir`, that prints `LOADED <path>` on
 * stderr for every module matching WATCHED_MODULES a dv process resolves:
 * through the ESM hook, and through CommonJS resolution, which require()
 * takes without the ESM hook on Node 20 (dv loads DuckDB, ajv and yaml with it).
 */
export function writeLoadHook(dir: string): string {
  const hook = path.join(dir, 'report-loads.mjs')
  const resolveHook = `export async function resolve(s, c, next) { const r = await next(s, c);
    if (${WATCHED_MODULES}.test(r.url)) process.stderr.write('LOADED ' + r.url + '\\n'); return r }`
  const requireHook = `const Module = createRequire(import.meta.url)('node:module'); const resolveFilename = Module._resolveFilename
    Module._resolveFilename = function (...args) { const f = resolveFilename.apply(this, args); if (${WATCHED_MODULES}.test(f)) process.stderr.write('LOADED ' + f + '\\n'); return f }`
  writeFileSync(hook, `import { register, createRequire } from 'node:module'\nregister('data:text/javascript,' + encodeURIComponent(${JSON.stringify(resolveHook)}))\n${requireHook}\n`)
  return hook
}

/** The watched modules `dv ARGS` loads (the LOADED lines of `hook`), and how the run ended. */
export function modulesLoaded(hook: string, args: string[], options: DvRunOptions): { loaded: string[]; run: DvRun } {
  const run = runDv(args, { ...options, nodeArgs: ['--import', hook, ...(options.nodeArgs ?? [])] })
  return { loaded: run.stderr.split('\n').filter((l) => l.startsWith('LOADED')), run }
}

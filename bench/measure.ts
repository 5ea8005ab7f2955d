/**
 * Measuring processes and functions: wall time, peak RSS (through
 * `/usr/bin/time -f %M` when present, else a wrapper that reports
 * `process.resourceUsage().maxRSS`), medians.
 */
import { spawn } from 'node:child_process'
import { existsSync, openSync, closeSync } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { tmpdir } from 'node:os'
import { BENCH_ENV, DIST_BENCH } from './paths.js'

const TIME_BIN = '/usr/bin/time'

export interface ProcessRun {
  ms: number
  /** Peak resident set size in MiB. */
  rssMiB: number
  stdout: string
  stderr: string
}

export interface SpawnOptions {
  cwd?: string
  /** Send stdout to this file instead of capturing it. */
  stdoutFile?: string
}

export function peakRssMethod(): string {
  return existsSync(TIME_BIN) ? `${TIME_BIN} -f %M` : 'bench/rss-wrapper (process.resourceUsage().maxRSS)'
}

/** Runs `node script args...` and measures its wall time and peak RSS. */
export function measureNode(script: string, args: string[], options: SpawnOptions = {}): Promise<ProcessRun> {
  return measureProcess(process.execPath, [script, ...args], options)
}

/**
 * Runs `command args...` (any executable: node, a Python interpreter) with the
 * bench environment and measures its wall time and peak RSS; a non-zero exit throws.
 */
export async function measureProcess(command: string, args: string[], options: SpawnOptions = {}): Promise<ProcessRun> {
  const rssFile = join(tmpdir(), `dv-bench-rss-${randomUUID()}`)
  const useTime = existsSync(TIME_BIN)
  // Without /usr/bin/time only node scripts can be wrapped (rss-wrapper.ts runs them in its own process).
  if (!useTime && command !== process.execPath) throw new Error(`${TIME_BIN} is missing: peak RSS of ${command} cannot be measured`)
  const [cmd, argv] = useTime
    ? [TIME_BIN, ['-f', '%M', '-o', rssFile, command, ...args]]
    : [process.execPath, [join(DIST_BENCH, 'rss-wrapper.js'), rssFile, ...args]]
  const out = options.stdoutFile === undefined ? undefined : openSync(options.stdoutFile, 'w')
  try {
    const started = performance.now()
    const { code, stdout, stderr } = await runChild(cmd, argv, options.cwd, out)
    const ms = performance.now() - started
    if (code !== 0) throw new Error(`${command} ${args.join(' ').slice(0, 500)} exited with ${code}: ${stderr.trim().slice(0, 2000)}`)
    const text = await readFile(rssFile, 'utf8')
    const kib = Number(text.trim().split('\n').pop())
    return { ms, rssMiB: kib / 1024, stdout, stderr }
  } finally {
    if (out !== undefined) closeSync(out)
    await rm(rssFile, { force: true })
  }
}

function runChild(cmd: string, argv: string[], cwd: string | undefined, stdoutFd: number | undefined): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd, env: { ...process.env, ...BENCH_ENV }, stdio: ['ignore', stdoutFd ?? 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout?.setEncoding('utf8').on('data', (d: string) => { stdout += d })
    child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

export async function timeIt<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now()
  const value = await fn()
  return { ms: performance.now() - started, value }
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

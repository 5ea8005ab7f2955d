/**
 * Runs the built `dv` on a pseudo-terminal (test/support/pty_run.py: Node has
 * no pty) and types into it step by step, waiting for what it prints, for
 * the interactive `dv query` shell. Needs python3 on PATH (or DV_TEST_PYTHON);
 * without one the suite is skipped with the reason printed, except under CI.
 */
import { execFile, spawnSync } from 'node:child_process'
import path from 'node:path'
import { distCli, repoRoot } from './dist.js'

export interface PtyStep {
  /** A regular expression (Python's) the terminal output must match, after the previous step's match, before the step goes on. */
  expect?: string
  /** Seconds to wait after `expect`. */
  delay?: number
  /** A command run to its end before `send` (another process acting while dv runs). */
  run?: string[]
  /** Keys to type: `\r` is Enter, `\x03` Ctrl-C, `\x04` Ctrl-D, `\x1b[A` the up arrow. */
  send?: string
}

export interface PtyRun {
  code: number | null
  signal: number | null
  /** What appeared on the terminal (stderr and the echo of what was typed), ANSI escapes removed. */
  terminal: string
  /** stdout, captured apart from the terminal. */
  stdout: string
  /** The step whose `expect` never matched, or null. */
  failed: { step: number | 'exit'; expect: string } | null
}

export const KEYS = { enter: '\r', ctrlC: '\x03', ctrlD: '\x04', up: '\x1b[A' } as const

/** The Python that runs pty_run.py, or undefined (then say why) when there is none outside CI. */
export function ptyPython(suite: string): string | undefined {
  const python = process.env.DV_TEST_PYTHON || 'python3'
  if (spawnSync(python, ['-c', 'import pty'], { stdio: 'ignore' }).status === 0) return python
  if (process.env.CI) throw new Error(`${suite} needs python3 (with the pty module) on PATH under CI`)
  console.warn(`skipping ${suite}: no python3 with the pty module on PATH`)
  return undefined
}

export function runDvInTerminal(python: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; steps: PtyStep[]; timeout?: number }): Promise<PtyRun> {
  const spec = {
    argv: [process.execPath, distCli, ...args],
    cwd: options.cwd,
    env: options.env,
    steps: options.steps,
    timeout: options.timeout ?? 30,
  }
  return new Promise((resolve, reject) => {
    const child = execFile(python, [path.join(repoRoot, 'test/support/pty_run.py')], { maxBuffer: 64 << 20, timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`pty_run.py failed: ${stderr || error.message}`))
      resolve(JSON.parse(stdout) as PtyRun)
    })
    child.stdin?.end(JSON.stringify(spec))
  })
}

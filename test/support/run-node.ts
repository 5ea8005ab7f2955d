/** Running a child `node` process of a test and collecting its outcome. */
import { spawn } from 'node:child_process'

export interface ChildResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/**
 * Runs `node script ...args`. The crash-test variables (DV_CRASH_AT,
 * DV_STEP_LOG) are cleared unless `env` sets them, so a child never inherits
 * the parent's crash plan.
 */
export function runNode(script: string, args: string[], env: Record<string, string> = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { ...process.env, DV_CRASH_AT: '', DV_STEP_LOG: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
}

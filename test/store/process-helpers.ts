/** Spawning the child scripts of the crash and race tests. */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { repoRoot } from './build-dist.js'

export const fixtures = join(repoRoot, 'test', 'store', 'fixtures')

export interface ChildResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export function runChild(script: string, args: string[], env: Record<string, string> = {}): Promise<ChildResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(fixtures, script), ...args], {
      env: { ...process.env, DV_CRASH_AT: '', DV_STEP_LOG: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }))
  })
}

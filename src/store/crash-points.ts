/**
 * Crash injection for crash tests. Every durable step of the local store calls
 * `storageStep(label)` just BEFORE performing the step.
 *
 * - `DV_STEP_LOG=<file>`: append `label\n` to that file (synchronously), so a
 *   dry run measures K, the number of steps of an operation.
 * - `DV_CRASH_AT=<k>`: the k-th call (1-based) kills the process with SIGKILL
 *   before its step runs, as a power cut or `kill -9` would.
 * - `DV_CRASH_AT_LABEL=<label>`: the first call with that label does the same,
 *   whatever its number (steps of concurrent publishes vary in count and order).
 * - `DV_PAUSE_AT_LABEL=<label>` with `DV_PAUSE_MS=<ms>`: the first call with
 *   that label blocks the process for that long before its step runs, as a
 *   slow disk would, so a test can send a signal at a known step.
 *
 * The environment is read once, at module load; when neither variable is set
 * the hook is a single branch.
 */
import { appendFileSync } from 'node:fs'

const stepLog = process.env.DV_STEP_LOG || undefined
const crashAt = parseCrashAt(process.env.DV_CRASH_AT)
const crashAtLabel = process.env.DV_CRASH_AT_LABEL || undefined
const pauseAtLabel = process.env.DV_PAUSE_AT_LABEL || undefined
const pauseMs = Number(process.env.DV_PAUSE_MS ?? 0)
const enabled = stepLog !== undefined || crashAt !== undefined || crashAtLabel !== undefined || pauseAtLabel !== undefined
let steps = 0
let paused = false

function parseCrashAt(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined
  const k = Number(value)
  return Number.isInteger(k) && k >= 1 ? k : undefined
}

export function storageStep(label: string): void {
  if (!enabled) return
  steps += 1
  if (stepLog !== undefined) appendFileSync(stepLog, `${label}\n`)
  if (steps === crashAt || label === crashAtLabel) process.kill(process.pid, 'SIGKILL')
  if (label === pauseAtLabel && !paused && pauseMs > 0) {
    paused = true
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pauseMs)
  }
}

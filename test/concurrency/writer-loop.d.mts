import type { Attempt, AttemptOutcome } from './history-checker.js'

export function outcomeOf(e: unknown): AttemptOutcome

export function runWriter(opts: {
  repo: { write(table: string, source: string, options: object): Promise<{ commit?: { snapshot: string; idempotentReplay: boolean } }> }
  worker: string
  commits: number
  dir: string
  logPath?: string
  table?: string
  maxAttempts?: number
  round?: string
  onAttempt?: (a: Attempt) => void
}): Promise<Attempt[]>

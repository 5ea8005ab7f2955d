// One writer of the concurrency suites: `commits` commits to one branch, each
// appending a one-row CSV under a unique idempotency key. Every attempt is
// logged (see history-checker.ts); an attempt that did not return 'ok' is
// retried with the same key, up to `maxAttempts` times per commit.
// Plain JS so that both the child processes (library from dist/) and the
// in-process tests (library from src/) can run it.
import { appendFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export function outcomeOf(e) {
  if (e && e.code === 'CONFLICT') return 'conflict'
  if (e && e.code === 'OUTCOME_UNKNOWN') return 'unknown'
  return 'error'
}

/**
 * @param {{ repo: any, worker: string, commits: number, dir: string, logPath?: string,
 *   table?: string, maxAttempts?: number, round?: string, onAttempt?: (a: object) => void }} opts
 * @returns {Promise<object[]>} the attempts
 */
export async function runWriter({ repo, worker, commits, dir, logPath, table = 'events', maxAttempts = 50, round = '', onAttempt }) {
  const attempts = []
  for (let seq = 0; seq < commits; seq++) {
    const key = `${worker}-${seq}`
    const csv = join(dir, `${key}.csv`)
    await writeFile(csv, `id,worker,seq\n${key},${worker},${seq}\n`)
    for (let n = 1; n <= maxAttempts; n++) {
      const op = `${key}#${round}${n}`
      const start = Date.now()
      let record
      try {
        const res = await repo.write(table, csv, { commit: true, message: op, idempotencyKey: key })
        record = { worker, op, key, start, end: Date.now(), outcome: 'ok', snapshot: res.commit.snapshot, replay: res.commit.idempotentReplay }
      } catch (e) {
        const details = e && e.details ? e.details : {}
        record = {
          worker, op, key, start, end: Date.now(), outcome: outcomeOf(e), error: `${e && e.code}: ${e && e.message}`,
          ...(typeof details.snapshot === 'string' && outcomeOf(e) === 'unknown' ? { snapshot: details.snapshot } : {}),
        }
      }
      attempts.push(record)
      if (logPath) appendFileSync(logPath, JSON.stringify(record) + '\n')
      onAttempt?.(record)
      if (record.outcome === 'ok') break
    }
  }
  return attempts
}

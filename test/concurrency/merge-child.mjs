// Child process of merge-processes.test.ts: merges its branches into main one after the other
// (always a merge commit: --no-ff), logging every attempt as one JSONL line for the history checker.
// argv: repoDir worker branch...
import { appendFileSync } from 'node:fs'
import { Repository } from '../../dist/src/index.js'

const [dir, worker, ...branches] = process.argv.slice(2)
const log = `${dir}/attempts-${worker}.jsonl`
const repo = await Repository.open(dir)
try {
  for (const branch of branches) {
    const op = `${worker} merges ${branch}`
    const start = Date.now()
    let line
    try {
      const r = await repo.merge(branch, { into: 'main', noFf: true, message: op })
      line = { worker, op, start, end: Date.now(), outcome: 'ok', snapshot: r.snapshot }
    } catch (e) {
      const outcome = e.code === 'CONFLICT' ? 'conflict' : e.code === 'OUTCOME_UNKNOWN' ? 'unknown' : 'error'
      line = { worker, op, start, end: Date.now(), outcome, error: `${e.code}: ${e.message}` }
    }
    appendFileSync(log, JSON.stringify(line) + '\n')
  }
} finally {
  await repo.close()
}

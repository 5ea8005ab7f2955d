// Child process for the crash test: one write+commit with an idempotency key.
// Run with DV_CRASH_AT=k (the store SIGKILLs itself at its k-th storage step)
// or DV_STEP_LOG=path (records the steps, to count them).
import { Repository } from '../../dist/src/index.js'

const [root, csv, key] = process.argv.slice(2)
const repo = await Repository.open(root)
try {
  const res = await repo.write('events', csv, { commit: true, message: 'crash test', idempotencyKey: key })
  process.stdout.write(JSON.stringify({ snapshot: res.commit.snapshot }) + '\n')
} finally {
  await repo.close()
}

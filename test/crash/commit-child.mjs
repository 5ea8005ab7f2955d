// Child process for the crash tests: one write+commit with an idempotency key.
// argv: repoRoot input key [optionsJson]; input '-' means no input (delete);
// optionsJson holds the write options (mode, where, key), default append.
// Run with DV_CRASH_AT=k (the store SIGKILLs itself at its k-th storage step)
// or DV_STEP_LOG=path (records the steps, to count them).
import { Repository } from '../../dist/src/index.js'

const [root, input, key, optionsJson] = process.argv.slice(2)
const options = optionsJson ? JSON.parse(optionsJson) : {}
const repo = await Repository.open(root)
try {
  const res = await repo.write('events', input === '-' ? undefined : input, { ...options, commit: true, message: 'crash test', idempotencyKey: key })
  process.stdout.write(JSON.stringify({ snapshot: res.commit.snapshot }) + '\n')
} finally {
  await repo.close()
}

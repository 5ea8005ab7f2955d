// Child process of processes.test.ts: one writer over the compiled library.
// argv: repoDir worker commits logPath inputDir
import { Repository } from '../../dist/src/index.js'
import { runWriter } from './writer-loop.mjs'

const [root, worker, commits, logPath, dir] = process.argv.slice(2)
const repo = await Repository.open(root, { author: worker })
try {
  const attempts = await runWriter({ repo, worker, commits: Number(commits), dir, logPath })
  const count = (o) => attempts.filter((a) => a.outcome === o).length
  process.stdout.write(JSON.stringify({ ok: count('ok'), conflict: count('conflict'), unknown: count('unknown'), error: count('error') }) + '\n')
} finally {
  await repo.close()
}

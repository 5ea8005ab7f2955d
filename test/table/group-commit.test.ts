/**
 * Group commit (format-spec/commit-protocol.md): commits from several
 * Repository instances of one process to one branch land as a chain of
 * snapshots, one per request, with no ref conflicts between them; a request
 * that fails on its own (here: an idempotency key reused for other content)
 * fails alone, and the others land.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Repository } from '../../src/index.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-group-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

it('lands concurrent in-process commits as one chain; a failing request fails alone', async () => {
  const root = join(dir, 'lake')
  const first = await Repository.init(root, { author: 'g' })
  const input = async (n: number) => {
    const p = join(dir, `in-${n}.csv`)
    await writeFile(p, `id\n${n}\n`)
    return p
  }
  await first.write('t', await input(0), { commit: true, message: 'base', idempotencyKey: 'k0' })
  const writers = await Promise.all(Array.from({ length: 6 }, () => Repository.open(root, { author: 'g' })))
  try {
    const results = await Promise.allSettled(writers.map(async (w, i) =>
      // writer 5 reuses key k0 for other content: a conflict of its own
      w.write('t', await input(i + 1), { commit: true, message: `w${i}`, idempotencyKey: i === 5 ? 'k0' : `k${i + 1}` })))
    const ok = results.filter((r) => r.status === 'fulfilled')
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    expect(ok).toHaveLength(5)
    expect(failed.map((f) => f.reason.code)).toEqual(['CONFLICT'])
    const log = await first.log()
    expect(log.map((e) => e.message).sort()).toEqual(['base', 'initialize repository', 'w0', 'w1', 'w2', 'w3', 'w4'])
    // a linear chain: every commit's only parent is the next one in the log
    for (let i = 0; i < log.length - 1; i++) expect(log[i].parents).toEqual([log[i + 1].snapshot])
    expect((await first.show('main', 't')).table!.rows).toBe(6)
    expect((await first.verify()).problems).toEqual([])
  } finally {
    await Promise.all(writers.map((w) => w.close()))
    await first.close()
  }
})

/**
 * The whole stack on the real S3-compatible test server: a workspace whose
 * store is s3://, time travel through the object cache, a second workspace
 * attached to the same remote that compacts the table, and several OS processes committing to one
 * branch through conditional writes alone (history-checked).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, expect, it } from 'vitest'
import { Repository } from '../../src/index.js'
import { ensureDistBuilt } from '../crash/ensure-dist.js'
import { runNode } from '../support/run-node.js'
import { checkHistory, firstParentChain, readAttemptLog } from '../concurrency/history-checker.js'
import { createTestBucket, describeS3, useS3WorkDir, s3Endpoint } from '../support/s3-server.js'
import { TextSink } from '../support/text-sink.js'

// 4 x 10 with DV_STRESS=1 (a step of .ci/run); the default suite takes 4 x 5
const WORKERS = Number(process.env.DV_S3_STRESS_WORKERS ?? 4)
const COMMITS = Number(process.env.DV_S3_STRESS_COMMITS ?? (process.env.DV_STRESS === '1' ? 10 : 5))
const CHILD = join(__dirname, '../concurrency/writer-child.mjs')


describeS3('Repository on S3', () => {
  const work = useS3WorkDir('dv-s3repo-')
  let bucket: string
  beforeAll(async () => {
    bucket = await createTestBucket('repo')
    await ensureDistBuilt()
  }, 180_000)

  it('init --remote, stage, commit, time travel, and a second workspace on the same remote', async () => {
    const remote = `s3://${bucket}/lake`
    const csv = join(work.path, 'e.csv')
    await writeFile(csv, 'id,ts\n1,2026-01-01 10:00:00\n2,2026-01-02 10:00:00\n')
    const repo = await Repository.init(join(work.path, 'ws1'), { remote, author: 's3' })
    try {
      expect(repo.location).toBe(remote)
      await repo.write('events', csv, { partitionBy: 'day(ts)' })
      const c1 = await repo.commit({ message: 'load' })
      await repo.write('events', csv, { commit: true, message: 'again' })
      const sink = new TextSink()
      await repo.cat('events', sink, { at: c1.snapshot.slice(0, 8), format: 'csv' })
      expect(sink.text.trim().split('\n')).toHaveLength(3)
      expect((await repo.doctor()).concurrentWritersSafe).toBe(true)
    } finally {
      await repo.close()
    }
    const other = await Repository.init(join(work.path, 'ws2'), { remote })
    try {
      expect((await other.log()).map((e) => e.message)).toEqual(['again', 'load', 'initialize repository'])
      expect((await other.show('main', 'events')).table!.rows).toBe(4)
      // the two commits wrote the same two files (one per day): compaction reads each occurrence
      const compacted = await other.compact('events')
      expect(compacted).toMatchObject({ partitions: 2, filesRemoved: 4, filesAdded: 2, rows: 4 })
      expect(compacted.commit!.tables.events).toMatchObject({ operation: 'replace', addedRows: 4, removedRows: 4 })
      expect((await other.show('main', 'events')).table!.rows).toBe(4)
    } finally {
      await other.close()
    }
    const byUrl = await Repository.open(remote)
    try {
      expect((await byUrl.verify()).problems).toEqual([])
    } finally {
      await byUrl.close()
    }
    await expect(Repository.open(`s3://${bucket}/not-a-repo`)).rejects.toMatchObject({ code: 'NOT_FOUND' })
  }, 120_000)

  it(`${WORKERS} processes x ${COMMITS} commits through conditional writes: none lost, none duplicated`, async () => {
    const remote = `s3://${bucket}/race`
    const inputs = join(work.path, 'inputs')
    await mkdir(inputs, { recursive: true })
    const repo = await Repository.fromStorage(await (await import('../../src/store/index.js')).openStorage(remote), { init: true, author: 'base' })
    try {
      const baseIds = (await repo.log()).map((e) => e.snapshot)
      const workers = Array.from({ length: WORKERS }, (_, i) => `w${i}`)
      const logs = workers.map((w) => join(work.path, `${w}.jsonl`))
      const results = await Promise.all(workers.map((w, i) => runNode(CHILD, [remote, w, String(COMMITS), logs[i], inputs])))
      for (const r of results) expect(r.code, r.stderr).toBe(0)
      const attempts = await readAttemptLog(...logs)
      const head = await repo.resolve('main')
      const chain = firstParentChain(head, await repo.log({ rev: head }))
      expect(checkHistory(attempts, chain, { base: baseIds }).violations).toEqual([])
      const keys = new Set(attempts.filter((a) => a.outcome === 'ok').map((a) => a.key))
      expect(keys.size).toBe(WORKERS * COMMITS)
      expect((await repo.show('main', 'events')).table!.rows).toBe(WORKERS * COMMITS)
      expect((await repo.verify()).problems).toEqual([])
    } finally {
      await repo.close()
    }
  }, 300_000)
})

if (!s3Endpoint) it.skip('S3 repository tests need DV_TEST_S3_ENDPOINT', () => {})

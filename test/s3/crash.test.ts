/**
 * Crash at every storage step of a write+commit on S3: a child process kills
 * itself (SIGKILL) before its k-th S3 write, for every k, including right
 * after the ref PUT was acknowledged (the lost-response case). Afterwards the
 * repository opens, main is the old or the new snapshot, verification is
 * clean, the reflog's newest entry is main's update, and a retry with the
 * same idempotency key yields exactly one commit.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Repository } from '../../src/index.js'
import { openStorage } from '../../src/store/index.js'
import { ensureDistBuilt } from '../crash/ensure-dist.js'
import { runNode } from '../support/run-node.js'
import { createTestBucket, describeS3 } from '../support/s3-server.js'

const CHILD = join(__dirname, '../crash/commit-child.mjs')
let dir: string
let csv: string
let bucket: string


/** A fresh repository at `url` holding one commit; returns its head. */
async function makeBase(url: string): Promise<string> {
  const repo = await Repository.fromStorage(await openStorage(url), { init: true, author: 'crash' })
  try {
    return (await repo.write('events', csv, { commit: true, message: 'base' })).commit!.snapshot
  } finally {
    await repo.close()
  }
}

describeS3('crash at every storage step on S3', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dv-s3crash-'))
    process.env.DV_CACHE_DIR = join(dir, 'cache')
    csv = join(dir, 'in.csv')
    await writeFile(csv, 'id,kind\n' + Array.from({ length: 20 }, (_, i) => `${i},k${i % 3}\n`).join(''))
    bucket = await createTestBucket('crash')
    await ensureDistBuilt()
  }, 180_000)
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('leaves the old or the new head, verifies clean, and a retry lands exactly once', async () => {
    const dryUrl = `s3://${bucket}/dry`
    await makeBase(dryUrl)
    const log = join(dir, 'steps.log')
    const dry = await runNode(CHILD, [dryUrl, csv, 'crash-key-s3'], { DV_STEP_LOG: log })
    expect(dry.code, dry.stderr).toBe(0)
    const steps = (await readFile(log, 'utf8')).trim().split('\n')
    expect(steps).toContain('s3.ref-put-acknowledged')
    const outcomes = { old: 0, new: 0 }
    // each step has its own prefix: three at once (each is a child process, then checks in this process)
    let next = 1
    const lane = async (): Promise<void> => {
      for (let k = next++; k <= steps.length; k = next++) await crashAt(k)
    }
    const crashAt = async (k: number): Promise<void> => {
      const url = `s3://${bucket}/k${k}`
      const oldHead = await makeBase(url)
      const child = await runNode(CHILD, [url, csv, 'crash-key-s3'], { DV_CRASH_AT: String(k) })
      const what = `crash before step ${k} (${steps[k - 1]})`
      expect(child.signal, `${what}: ${child.stderr}`).toBe('SIGKILL')
      const repo = await Repository.open(url)
      try {
        const head = await repo.resolve('main')
        if (head !== oldHead) expect((await repo.log({ rev: head, limit: 1 }))[0], what).toMatchObject({ parents: [oldHead], idempotencyKey: 'crash-key-s3' })
        outcomes[head === oldHead ? 'old' : 'new']++
        expect((await repo.verify()).problems, what).toEqual([])
        const log = (await repo.reflog('main')).entries
        expect(log[0], what).toMatchObject(head === oldHead ? { snapshot: oldHead, message: 'commit: base' } : { snapshot: head, previous: oldHead, message: 'commit: crash test' })
        const again = await repo.write('events', csv, { commit: true, message: 'crash test', idempotencyKey: 'crash-key-s3' })
        expect(again.commit!.idempotentReplay, what).toBe(head !== oldHead)
        expect(await repo.log({ idempotencyKey: 'crash-key-s3' }), what).toHaveLength(1)
        expect((await repo.reflog('main')).entries.filter((e) => e.message === 'commit: crash test'), what).toHaveLength(1)
        expect((await repo.show('main', 'events')).table!.rows, what).toBe(40)
      } finally {
        await repo.close()
      }
    }
    await Promise.all([lane(), lane(), lane()])
    expect(outcomes.old + outcomes.new).toBe(steps.length)
    expect(outcomes.old).toBeGreaterThan(0)
    expect(outcomes.new).toBeGreaterThan(0) // the crash after the acknowledged ref PUT
  }, 300_000)
})

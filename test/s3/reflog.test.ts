/**
 * The reflog on the real S3 test server, through the Repository: reading one
 * branch's log lists only that branch's prefix (one ListObjectsV2, whatever
 * else the bucket holds), and `-n 1` or `main@{0}` reads one or two entries,
 * not the whole log.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Repository } from '../../src/index.js'
import { cleanupCaches, createTestBucket, describeS3, openTestS3 } from '../support/s3-server.js'

let bucket: string
describeS3('reflog on S3', () => {
  beforeAll(async () => {
    bucket = await createTestBucket('reflog')
  })
  afterAll(cleanupCaches)

  it('lists one prefix per read and fetches only the entries it needs', async () => {
    const storage = await openTestS3(`s3://${bucket}/repo-${randomUUID()}`)
    const repo = await Repository.fromStorage(storage, { init: true, author: 'ann' })
    try {
      for (let i = 0; i < 40; i++) await repo.commit({ message: `c${i}`, allowEmpty: true })
      for (let i = 0; i < 5; i++) await repo.createBranch(`other-${i}`)
      storage.resetRequests()
      const log = await repo.reflog('main')
      expect(log.entries).toHaveLength(41)
      expect(storage.requests).toEqual({ GetObject: 2 + 41, ListObjectsV2: 1 }) // the ref (is 'main' a branch? its value), then every entry
      storage.resetRequests()
      expect((await repo.reflog('main', { limit: 1 })).entries[0]!.message).toBe('commit: c39')
      expect(storage.requests).toEqual({ GetObject: 2 + 2, ListObjectsV2: 1 })
      storage.resetRequests()
      await repo.resolve('main@{2}')
      expect(storage.requests.ListObjectsV2).toBe(1)
      expect(storage.requests.GetObject).toBeLessThanOrEqual(2 + 4 + 1) // the ref twice, entries 0..3, and main@{2}'s snapshot
    } finally {
      await repo.close()
    }
  }, 120_000)
})

/** The storage conformance suite against the real S3 test server (one bucket, a fresh prefix per test). */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll } from 'vitest'
import { describeStorageConformance } from '../conformance/storage-conformance.js'
import { cleanupCaches, createTestBucket, describeS3, openTestS3 } from '../support/s3-server.js'

let bucket: string
describeS3('s3 backend', () => {
  beforeAll(async () => {
    bucket = await createTestBucket('conf')
  })
  afterAll(cleanupCaches)
  describeStorageConformance('s3', async () => openTestS3(`s3://${bucket}/repo-${randomUUID()}`))
})

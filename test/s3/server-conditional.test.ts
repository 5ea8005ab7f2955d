/**
 * Proof that the S3 test server enforces conditional writes under a race,
 * the precondition of every other S3 test: 16 concurrent `If-None-Match: *`
 * PUTs of one key have exactly one winner, and so do 16 concurrent PUTs with
 * the same `If-Match` ETag; the losers get 412. Repeated for several rounds.
 */
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestBucket, describeS3, testClient } from '../support/s3-server.js'

async function outcome(p: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await p
    return 'ok'
  } catch (e) {
    return (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? -1
  }
}

describeS3('the S3 test server enforces conditional writes', () => {
  let client: S3Client
  let bucket: string
  beforeAll(async () => {
    client = testClient()
    bucket = await createTestBucket('race')
  })
  afterAll(() => client.destroy())

  it('16 concurrent If-None-Match: * PUTs of one key: exactly one wins, 15 get 412 (x10 rounds)', async () => {
    for (let round = 0; round < 10; round++) {
      const Key = `inm-${round}`
      const results = await Promise.all(Array.from({ length: 16 }, (_, i) =>
        outcome(client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: `writer ${i}`, IfNoneMatch: '*' })))))
      expect(results.filter((r) => r === 'ok')).toHaveLength(1)
      expect(results.filter((r) => r === 412)).toHaveLength(15)
    }
  })

  it('16 concurrent PUTs with the same If-Match ETag: exactly one wins, 15 get 412 (x10 rounds)', async () => {
    for (let round = 0; round < 10; round++) {
      const Key = `im-${round}`
      await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'base' }))
      const { ETag } = await client.send(new HeadObjectCommand({ Bucket: bucket, Key }))
      const results = await Promise.all(Array.from({ length: 16 }, (_, i) =>
        outcome(client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: `writer ${i} of round ${round}`, IfMatch: ETag })))))
      expect(results.filter((r) => r === 'ok')).toHaveLength(1)
      expect(results.filter((r) => r === 412)).toHaveLength(15)
    }
  })

  it('refuses If-Match on a missing key (404) and a stale conditional DELETE (412)', async () => {
    const missing = await outcome(client.send(new PutObjectCommand({ Bucket: bucket, Key: 'absent', Body: 'x', IfMatch: '"0123"' })))
    expect(missing).toBe(404)
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'del', Body: 'x' }))
    expect(await outcome(client.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'del', IfMatch: '"0123"' })))).toBe(412)
    expect(await outcome(client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'del' })))).toBe('ok')
  })
})

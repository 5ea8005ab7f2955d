/**
 * Bad input against S3: wrong credentials, a missing bucket, an unreachable
 * endpoint, a prefix holding something other than a dv repository, and
 * malformed URLs. Each gets a clear DvError and nothing is written.
 */
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:net'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { SnapshotId } from '../../src/ids.js'
import { openStorage } from '../../src/store/open.js'
import { openS3Storage } from '../../src/store/s3.js'
import { catchDvError } from '../conformance/storage-conformance.js'
import {
  cleanupCaches, createTestBucket, describeS3, freshCacheDir, openTestS3, S3RVER_CREDENTIALS, startS3rver, testClient,
} from '../support/s3-server.js'

const snap = 'b'.repeat(64) as SnapshotId

async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((r) => server.close(() => r()))
  return port
}

it('wrong credentials are STORAGE with a hint about credentials (s3rver checks the access key)', async () => {
  const server = await startS3rver(['creds'])
  try {
    const storage = openS3Storage('s3://creds/repo', {
      endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'S3RVER' },
      cache: { dir: await freshCacheDir() },
    })
    const err = await catchDvError(() => storage.readConfig())
    expect(err.code).toBe('STORAGE')
    expect(err.message).toMatch(/refused the credentials/)
    expect(err.message).toContain(server.endpoint)
    expect(err.hint).toMatch(/AWS_ACCESS_KEY_ID/)
    expect((await catchDvError(() => storage.objects.put(new TextEncoder().encode('x')))).code).toBe('STORAGE')
    const client = testClient(server.endpoint, S3RVER_CREDENTIALS)
    expect((await client.send(new ListObjectsV2Command({ Bucket: 'creds' }))).Contents ?? []).toEqual([])
    client.destroy()
    await storage.close()
  } finally {
    await server.close()
    await cleanupCaches()
  }
})

it('an unreachable endpoint is STORAGE naming the endpoint, on reads and ref writes', async () => {
  const endpoint = `http://127.0.0.1:${await closedPort()}`
  const storage = openS3Storage('s3://bucket/repo', {
    endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, cache: { dir: await freshCacheDir() },
  })
  const err = await catchDvError(() => storage.readConfig())
  expect(err.code).toBe('STORAGE')
  expect(err.message).toContain(endpoint)
  expect(err.message).toMatch(/cannot reach/)
  expect((await catchDvError(() => storage.refs.compareAndSwap('branches/main', null, snap))).code).toBe('STORAGE')
  await storage.close()
  await cleanupCaches()
})

it('malformed S3 URLs are INVALID_ARGUMENT', async () => {
  for (const bad of ['s3://', 's3://UPPER/x', 's3://b/../x', 's3://a/x']) {
    expect((await catchDvError(() => openStorage(bad))).code, bad).toBe('INVALID_ARGUMENT')
  }
  const ok = await openStorage('s3://bucket/a//b/')
  expect(ok.location).toBe('s3://bucket/a/b')
  await ok.close()
})

describeS3('bad input against the real server', () => {
  let bucket: string
  beforeAll(async () => {
    bucket = await createTestBucket('errors')
  })
  afterAll(cleanupCaches)

  it('a missing bucket is NOT_FOUND naming the bucket', async () => {
    const storage = await openTestS3(`s3://no-such-bucket-${randomUUID().slice(0, 8)}/repo`)
    const err = await catchDvError(() => storage.readConfig())
    expect(err.code).toBe('NOT_FOUND')
    expect(err.message).toMatch(/bucket 'no-such-bucket-[0-9a-f]{8}' not found/)
    expect(err.hint).toBeDefined()
    expect((await catchDvError(() => storage.refs.compareAndSwap('branches/main', null, snap))).code).toBe('NOT_FOUND')
    await storage.close()
  })

  it('a prefix holding other data has no config (readConfig undefined) and lists no refs', async () => {
    const client = testClient()
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'other/data.csv', Body: 'a,b\n1,2\n' }))
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'other/refs/branches/not-a-ref', Body: 'hello' }))
    client.destroy()
    const storage = await openTestS3(`s3://${bucket}/other`)
    expect(await storage.readConfig()).toBeUndefined()
    const err = await catchDvError(() => storage.refs.list('branches/'))
    expect(err.code).toBe('CORRUPT')
    expect(err.message).toContain('branches/not-a-ref')
    await storage.close()
  })

  it('the standard AWS environment is used by openStorage(s3://...)', async () => {
    const saved = { ...process.env }
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: process.env.DV_TEST_S3_ENDPOINT, AWS_ACCESS_KEY_ID: 'dvtest', AWS_SECRET_ACCESS_KEY: 'dvtest',
      AWS_REGION: 'us-east-1', DV_CACHE_DIR: await freshCacheDir(),
    })
    try {
      const storage = await openStorage(`s3://${bucket}/env-${randomUUID()}`)
      const id = await storage.objects.put(new TextEncoder().encode('via env'))
      expect(new TextDecoder().decode(await storage.objects.get(id))).toBe('via env')
      await storage.close()
    } finally {
      process.env = saved
    }
  })
})

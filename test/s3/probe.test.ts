/**
 * The conditional-write probe: the real test server passes; s3rver (which
 * ignores If-None-Match / If-Match) is refused with UNSUPPORTED before any
 * ref or config is written; a 409 during the probe is retried.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3'
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { SnapshotId } from '../../src/ids.js'
import { openS3Storage } from '../../src/store/s3.js'
import { forgetProbeResults, probeConditionalWrites } from '../../src/store/s3-probe.js'
import { createMemoryStorage } from '../../src/store/memory.js'
import { catchDvError } from '../conformance/storage-conformance.js'
import { startFaultProxy } from '../support/s3-fault-proxy.js'
import {
  cleanupCaches, createTestBucket, describeS3, freshCacheDir, openTestS3, s3Endpoint, S3RVER_CREDENTIALS, startS3rver, testClient, TEST_CREDENTIALS,
} from '../support/s3-server.js'

const snap = 'a'.repeat(64) as SnapshotId

it('refuses s3rver, which ignores conditional writes, and writes no ref or config there', async () => {
  const server = await startS3rver(['fake'])
  try {
    const storage = openS3Storage(`s3://fake/repo-${randomUUID()}`, {
      endpoint: server.endpoint, region: 'us-east-1', credentials: S3RVER_CREDENTIALS,
      cache: { dir: await freshCacheDir() },
    })
    const err = await catchDvError(() => storage.probe())
    expect(err.code).toBe('UNSUPPORTED')
    expect(err.message).toMatch(/ignores conditional writes \(If-None-Match, If-Match, If-Match on a missing key\); dv cannot commit safely there/)
    expect(err.hint).toBeDefined()
    expect((await catchDvError(() => storage.refs.compareAndSwap('branches/main', null, snap))).code).toBe('UNSUPPORTED')
    expect((await catchDvError(() => storage.createConfig(new TextEncoder().encode('{}')))).code).toBe('UNSUPPORTED')
    const client = testClient(server.endpoint, S3RVER_CREDENTIALS)
    const keys = await client.send(new ListObjectsV2Command({ Bucket: 'fake' })).finally(() => client.destroy())
    expect(keys.Contents ?? []).toEqual([])
    await storage.close()
  } finally {
    await server.close()
    await cleanupCaches()
  }
})

it('passes trivially for local and memory stores', async () => {
  expect(await probeConditionalWrites(createMemoryStorage())).toMatchObject({ ifNoneMatch: true, ifMatch: true })
})

describeS3('probe against the real server', () => {
  let bucket: string
  beforeAll(async () => {
    bucket = await createTestBucket('probe')
  })
  afterAll(cleanupCaches)

  it('passes, leaves no scratch key, and runs once per process and URL', async () => {
    forgetProbeResults()
    const url = `s3://${bucket}/p-${randomUUID()}`
    const storage = await openTestS3(url)
    expect(await storage.probe()).toEqual({ ifNoneMatch: true, ifMatch: true, ifMatchOnMissingKey: true, conditionalDelete: true })
    storage.resetRequests()
    await storage.refs.compareAndSwap('branches/main', null, snap)
    const again = await openTestS3(url)
    await again.probe()
    expect(again.requests.PutObject ?? 0).toBe(0)
    expect(storage.requests.PutObject).toBe(1)
    const client = testClient()
    const keys = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${url.slice(`s3://${bucket}/`.length)}/probe/` }))
    client.destroy()
    expect(keys.Contents ?? []).toEqual([])
    await storage.close()
    await again.close()
  })

  it('retries a 409 ConditionalRequestConflict during the probe', async () => {
    forgetProbeResults()
    const proxy = await startFaultProxy(s3Endpoint!)
    let conflicts = 2
    proxy.plan = (req) => (req.method === 'PUT' && conflicts-- > 0 ? 'conflict-409' : 'pass')
    try {
      const storage = openS3Storage(`s3://${bucket}/p409`, {
        endpoint: proxy.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, cache: { dir: await freshCacheDir() },
      })
      expect((await storage.probe()).ifMatch).toBe(true)
      expect(proxy.log.filter((r) => r.action === 'conflict-409')).toHaveLength(2)
      await storage.close()
    } finally {
      await proxy.close()
    }
  })
})

/**
 * Ref compare-and-swap on the real S3 server: 4 processes x 25 increments
 * build a chain of exactly 100; a 409 is retried; a lost response after a
 * successful write is settled by re-reading (success); a failure that leaves
 * the ref unchanged is OUTCOME_UNKNOWN, never STORAGE or CONFLICT.
 */
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { SnapshotId } from '../../src/ids.js'
import { openS3Storage, type S3Storage } from '../../src/store/s3.js'
import { catchDvError } from '../conformance/storage-conformance.js'
import { startFaultProxy, type FaultProxy } from '../support/s3-fault-proxy.js'
import {
  cleanupCaches, createTestBucket, describeS3, freshCacheDir, openTestS3, s3Endpoint, TEST_CREDENTIALS,
} from '../support/s3-server.js'
import { ensureStoreBuilt, repoRoot } from '../store/build-dist.js'
import { runNode } from '../support/run-node.js'

const snap = (label: string) => label.repeat(64).slice(0, 64) as SnapshotId


describeS3('S3 ref compare-and-swap', () => {
  let bucket: string
  let proxy: FaultProxy
  let faulty: S3Storage
  beforeAll(async () => {
    bucket = await createTestBucket('cas')
    proxy = await startFaultProxy(s3Endpoint!)
  })
  afterAll(async () => {
    await proxy.close()
    await cleanupCaches()
  })

  async function openThroughProxy(): Promise<S3Storage> {
    faulty = openS3Storage(`s3://${bucket}/faults-${randomUUID()}`, {
      endpoint: proxy.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, cache: { dir: await freshCacheDir() },
    })
    await faulty.probe()
    return faulty
  }
  /** Applies `action` to the next PUT/DELETE of a ref key, then passes everything. */
  function failNextRefWrite(action: 'conflict-409' | 'error-500-before' | 'error-500-after' | 'lose-response', times = 1): void {
    proxy.plan = (req) => (/\/refs\//.test(req.path) && req.method !== 'GET' && req.method !== 'HEAD' && times-- > 0 ? action : 'pass')
  }

  it('4 processes x 25 CAS increments through the AWS environment build a chain of exactly 100', async () => {
    const storeIndex = await ensureStoreBuilt()
    const url = `s3://${bucket}/race-${randomUUID()}`
    const cache = await mkdtemp(join(tmpdir(), 'dv-s3race-'))
    const env = {
      AWS_ENDPOINT_URL: s3Endpoint!, AWS_ACCESS_KEY_ID: 'dvtest', AWS_SECRET_ACCESS_KEY: 'dvtest', AWS_REGION: 'us-east-1', DV_CACHE_DIR: cache,
    }
    try {
      const writers = ['w0', 'w1', 'w2', 'w3']
      const results = await Promise.all(writers.map((w) => runNode(join(repoRoot, 'test', 'store', 'fixtures', 'race-child.mjs'), [storeIndex, url, w, '25'], env)))
      for (const r of results) expect(r.code, r.stderr).toBe(0)
      const conflicts = results.reduce((n, r) => n + (JSON.parse(r.stdout) as { conflicts: number }).conflicts, 0)
      const storage = await openTestS3(url)
      const seen = new Set<string>()
      let cursor: SnapshotId | null = (await storage.refs.get('branches/main'))!.snapshot
      while (cursor !== null && seen.size <= 100) {
        const link = JSON.parse(new TextDecoder().decode(await storage.objects.get(cursor))) as { parent: SnapshotId | null; writer: string; i: number }
        seen.add(`${link.writer}:${link.i}`)
        cursor = link.parent
      }
      expect(seen.size).toBe(100)
      for (const w of writers) for (let i = 0; i < 25; i++) expect(seen.has(`${w}:${i}`)).toBe(true)
      expect(conflicts).toBeGreaterThan(0)
      await storage.close()
    } finally {
      await rm(cache, { recursive: true, force: true })
    }
  })

  it('retries a 409 ConditionalRequestConflict, then reports CONFLICT when it persists', async () => {
    const storage = await openThroughProxy()
    failNextRefWrite('conflict-409', 2)
    const created = await storage.refs.compareAndSwap('branches/main', null, snap('a'))
    expect(created?.snapshot).toBe(snap('a'))
    failNextRefWrite('conflict-409', 100)
    const err = await catchDvError(() => storage.refs.compareAndSwap('branches/main', created!.version, snap('b')))
    expect(err.code).toBe('CONFLICT')
    expect(err.retryable).toBe(true)
    proxy.plan = () => 'pass'
    expect((await storage.refs.get('branches/main'))?.snapshot).toBe(snap('a'))
    await storage.close()
  })

  it('a lost response after the ref write landed is settled by re-reading: success', async () => {
    const storage = await openThroughProxy()
    const v1 = await storage.refs.compareAndSwap('branches/main', null, snap('a'))
    for (const action of ['lose-response', 'error-500-after'] as const) {
      const before = await storage.refs.get('branches/main')
      const next = action === 'lose-response' ? snap('b') : snap('c')
      failNextRefWrite(action)
      const result = await storage.refs.compareAndSwap('branches/main', before!.version, next)
      expect(result?.snapshot).toBe(next)
      expect(await storage.refs.get('branches/main')).toEqual(result)
    }
    expect(v1).toBeDefined()
    // A delete whose response is lost is settled the same way.
    const head = await storage.refs.get('branches/main')
    failNextRefWrite('lose-response')
    expect(await storage.refs.compareAndSwap('branches/main', head!.version, null)).toBeUndefined()
    expect(await storage.refs.get('branches/main')).toBeUndefined()
    await storage.close()
  })

  it('a 500 before the store applied the write is OUTCOME_UNKNOWN, and the ref is unchanged', async () => {
    const storage = await openThroughProxy()
    const v1 = await storage.refs.compareAndSwap('branches/main', null, snap('a'))
    failNextRefWrite('error-500-before')
    const err = await catchDvError(() => storage.refs.compareAndSwap('branches/main', v1!.version, snap('b')))
    expect(err.code).toBe('OUTCOME_UNKNOWN')
    expect(err.message).toContain('branches/main')
    expect(err.hint).toMatch(/re-read/)
    expect(await storage.refs.get('branches/main')).toEqual(v1)
    // The write was not retried behind our back: exactly one PUT of the ref reached the proxy.
    expect(proxy.log.filter((r) => r.method === 'PUT' && r.path.includes('/refs/') && r.action === 'error-500-before')).toHaveLength(1)
    await storage.close()
  })
})

/**
 * The local object cache of the S3 backend: a second read of the same objects
 * (get or localPath, from a new process-like storage sharing the cache dir)
 * performs 0 GETs; a damaged cache entry is detected by its hash and fetched
 * again; the size bound evicts the least recently used entries.
 */
import { randomUUID } from 'node:crypto'
import { readdir, readFile, utimes, writeFile, chmod } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { ObjectId } from '../../src/ids.js'
import { LocalObjectCache } from '../../src/store/cache.js'
import { hashBytes } from '../../src/ids.js'
import { cleanupCaches, createTestBucket, describeS3, freshCacheDir, openTestS3 } from '../support/s3-server.js'

const enc = new TextEncoder()

describeS3('S3 object cache', () => {
  let bucket: string
  beforeAll(async () => {
    bucket = await createTestBucket('cache')
  })
  afterAll(cleanupCaches)

  it('a second read of cached objects performs 0 GETs (get and localPath)', async () => {
    const url = `s3://${bucket}/c-${randomUUID()}`
    const writer = await openTestS3(url)
    const ids: ObjectId[] = []
    for (let i = 0; i < 10; i++) ids.push(await writer.objects.put(enc.encode(`metadata ${i} `.repeat(100))))
    await writer.close()

    const dir = await freshCacheDir()
    const first = await openTestS3(url, { cache: { dir } })
    for (const id of ids.slice(0, 5)) await first.objects.get(id)
    for (const id of ids.slice(5)) await first.objects.localPath(id)
    expect(first.requests.GetObject).toBe(10)
    await first.close()

    const second = await openTestS3(url, { cache: { dir } })
    for (const id of ids) expect(hashBytes(await second.objects.get(id))).toBe(id)
    for (const id of ids) expect(hashBytes(await readFile(await second.objects.localPath(id)))).toBe(id)
    expect(second.requests.GetObject ?? 0).toBe(0)
    await second.close()
  })

  it('re-verifies cached objects: a damaged entry is dropped and fetched again', async () => {
    const dir = await freshCacheDir()
    const storage = await openTestS3(`s3://${bucket}/c-${randomUUID()}`, { cache: { dir } })
    const bytes = enc.encode('table metadata that must not rot')
    const id = await storage.objects.put(bytes)
    const path = storage.objects.cache.pathOf(id)
    await chmod(path, 0o644)
    await writeFile(path, 'rotten')
    storage.resetRequests()
    expect(await storage.objects.get(id)).toEqual(bytes)
    expect(storage.requests.GetObject).toBe(1)
    expect(await readFile(path)).toEqual(Buffer.from(bytes))
    await storage.close()
  })

  it('evicts the least recently used entries past the size bound', async () => {
    const dir = await freshCacheDir()
    const cache = new LocalObjectCache({ dir, maxBytes: 10_000, protectMs: 0 })
    const ids: ObjectId[] = []
    for (let i = 0; i < 5; i++) {
      const bytes = enc.encode(String(i).repeat(3000))
      const id = hashBytes(bytes)
      await cache.write(id, bytes)
      await cache.settled() // the size bound is kept in the background
      ids.push(id)
      // Entry i was last used i minutes ago... in reverse: older entries have older mtimes.
      const t = new Date(Date.now() - (10 - i) * 60_000)
      await utimes(cache.pathOf(id), t, t)
    }
    const left = (await readdir(join(dir, 'objects'), { recursive: true })).filter((f) => /[0-9a-f]{64}$/.test(f))
    expect(left.length).toBe(3)
    expect(await cache.read(ids[0]!)).toBeUndefined()
    expect(await cache.read(ids[4]!)).toBeDefined()
  })
})

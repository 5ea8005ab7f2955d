/**
 * The S3 sweep lock (format-spec/gc.md#sweep): one sweep at a time, and a
 * writer that reuses an object waits for a running sweep to end, then checks
 * that the object still exists (storing it again when the sweep took it).
 * And gc without a listing after the first (format-spec/gc.md#inventory-and-generation-log).
 */
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import { randomUUID } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Repository } from '../../src/index.js'
import type { ObjectStore } from '../../src/store/types.js'
import { catchDvError } from '../conformance/storage-conformance.js'
import { cleanupCaches, createTestBucket, describeS3, openTestS3, testClient } from '../support/s3-server.js'

const enc = new TextEncoder()
let bucket: string

describeS3('s3 gc sweep lock', () => {
  beforeAll(async () => {
    bucket = await createTestBucket('gc')
  })
  afterAll(cleanupCaches)

  const lock = (prefix: string) => ({ Bucket: bucket, Key: `${prefix}/gc/sweeping` })

  it('a sweep refuses while another holds the lock (CONFLICT, nothing deleted), and takes it once free', async () => {
    const prefix = `repo-${randomUUID()}`
    const storage = await openTestS3(`s3://${bucket}/${prefix}`)
    const client = testClient()
    try {
      const id = await storage.objects.put(enc.encode('old garbage'))
      await new Promise((r) => setTimeout(r, 1100))
      const cutoff = await storage.objects.storeTime!()
      await client.send(new PutObjectCommand({ ...lock(prefix), Body: '' }))
      const e = await catchDvError(() => storage.objects.sweep!([id], cutoff))
      expect(e.code).toBe('CONFLICT')
      expect(e.message).toContain('gc/sweeping')
      expect(await storage.objects.has(id)).toBe(true)
      await client.send(new DeleteObjectCommand(lock(prefix)))
      expect(await storage.objects.sweep!([id], cutoff)).toEqual([id])
      expect(await storage.objects.has(id)).toBe(false)
    } finally {
      client.destroy()
      await storage.close()
    }
  })

  it('a put that finds its object stored waits for a running sweep, then stores it again if the sweep deleted it', async () => {
    const prefix = `repo-${randomUUID()}`
    const storage = await openTestS3(`s3://${bucket}/${prefix}`)
    const client = testClient()
    try {
      const bytes = enc.encode('re-added while a sweep runs')
      const id = await storage.objects.put(bytes)
      await client.send(new PutObjectCommand({ ...lock(prefix), Body: '' }))
      let settled = false
      const reuse = storage.objects.put(bytes).finally(() => { settled = true })
      // the "sweep": deletes the object after the writer refreshed it, then releases the lock
      await new Promise((r) => setTimeout(r, 2500))
      expect(settled).toBe(false) // still waiting for the sweep to end
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: `${prefix}/objects/${id.slice(0, 2)}/${id}` }))
      await client.send(new DeleteObjectCommand(lock(prefix)))
      expect(await reuse).toBe(id)
      expect(await storage.objects.has(id)).toBe(true)
    } finally {
      client.destroy()
      await storage.close()
    }
  })

  it('a commit sends its generation-log segment before its ref update; a later gc reads it instead of listing the bucket', async () => {
    const prefix = `repo-${randomUUID()}`
    const storage = await openTestS3(`s3://${bucket}/${prefix}`)
    const client = testClient()
    const segments = async (): Promise<number> =>
      (await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/gc/log/` }))).KeyCount ?? 0
    try {
      const repo = await Repository.fromStorage(storage, { init: true, author: 'ann' })
      expect(await segments()).toBe(1) // init's objects, before its ref
      expect((await repo.gc({ graceMs: 0, force: true })).inventory.source).toBe('listing')
      expect(await segments()).toBe(0)

      const file = join(tmpdir(), `dv-s3-gc-${randomUUID()}.csv`)
      await writeFile(file, 'id,kind\n1,a\n')
      await repo.write('t', file, { commit: true, message: 'one' })
      expect(await segments()).toBe(1)
      const junk = await storage.objects.put(enc.encode('abandoned after the first gc'))
      await new Promise((r) => setTimeout(r, 1100))
      const objects: ObjectStore = Object.create(storage.objects)
      Object.defineProperty(objects, 'listTimed', { value: () => { throw new Error('gc listed the bucket') } })
      const later = await Repository.fromStorage({ ...storage, objects, close: () => Promise.resolve() }, { author: 'ann' })
      // gc sends its own process's waiting lines first: the junk, stored after the last ref update, is found
      const result = await later.gc({ graceMs: 0, force: true })
      expect(result.inventory.source).toBe('inventory')
      expect(result.deleted.map((d) => d.id)).toEqual([junk])
      expect((await later.verify()).problems).toEqual([])
      expect(await segments()).toBe(0)
    } finally {
      client.destroy()
      await storage.close()
    }
  })
})

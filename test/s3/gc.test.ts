/**
 * The S3 sweep lock (format-spec/gc.md#sweep): one sweep at a time, and a
 * writer that reuses an object waits for a running sweep to end, then checks
 * that the object still exists (storing it again when the sweep took it).
 */
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, expect, it } from 'vitest'
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
})

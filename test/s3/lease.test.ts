/**
 * Leases (format-spec/gc.md#leases): a workspace on an S3 store keeps a lease
 * naming what it has staged, so that dv gc run from elsewhere (a bare store
 * URL, another machine) keeps it, however old; the lease goes once nothing is
 * staged, an expired one is ignored, and a damaged one stops gc. A writer
 * that runs long keeps a lease of its own for the files it stored and has not
 * committed yet (format-spec/gc.md#writers-in-flight).
 */
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { createHash } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Repository } from '../../src/index.js'
import { parseLease, serializeLease } from '../../src/format/index.js'
import { openStorage } from '../../src/store/open.js'
import type { Storage } from '../../src/store/types.js'
import { catchDvError } from '../conformance/storage-conformance.js'
import { createTestBucket, describeS3, testClient, useS3WorkDir } from '../support/s3-server.js'

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 1100)) // S3 keeps whole seconds

describeS3('leases on S3', () => {
  const work = useS3WorkDir('dv-s3lease-')
  let bucket: string
  let client: S3Client
  beforeAll(async () => {
    client = testClient()
    bucket = await createTestBucket('lease')
  })
  afterAll(() => client.destroy())

  const leaseKeys = async (prefix: string): Promise<string[]> =>
    ((await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/gc/leases/` }))).Contents ?? []).map((c) => c.Key!)

  it('a staged change of another workspace survives gc from the store URL, then commits; the lease goes with it', async () => {
    const prefix = 'staged'
    const remote = `s3://${bucket}/${prefix}`
    const csv = join(work.path, 'a.csv')
    await writeFile(csv, 'id,kind\n1,a\n2,b\n')
    const ws = await Repository.init(join(work.path, 'ws'), { remote, author: 'ann' })
    try {
      await ws.write('t', csv, { commit: true, message: 'one' })
      expect(await leaseKeys(prefix)).toEqual([])
      await writeFile(csv, 'id,kind\n3,c\n')
      const staged = await ws.write('t', csv)
      const keys = await leaseKeys(prefix)
      expect(keys).toHaveLength(1)
      const body = await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: keys[0] }))).Body!.transformToByteArray()
      const lease = parseLease(body)
      expect(lease.holder).toContain(join(work.path, 'ws'))
      expect(lease.objects).toHaveLength(staged.files)

      await tick()
      const elsewhere = await Repository.open(remote)
      try {
        const result = await elsewhere.gc({ graceMs: 0, force: true })
        expect(result.mark.leases).toBe(1)
        expect(result.deleted.map((d) => d.id)).not.toEqual(expect.arrayContaining(lease.objects))
      } finally {
        await elsewhere.close()
      }
      await ws.commit({ message: 'two' })
      expect(await leaseKeys(prefix)).toEqual([])
      expect((await ws.show('main', 't')).table!.rows).toBe(3)
      expect((await ws.verify({ full: true })).problems).toEqual([])
    } finally {
      await ws.close()
    }
  })

  it('an expired lease is ignored; a damaged one stops gc before it deletes anything', async () => {
    const prefix = 'expired'
    const remote = `s3://${bucket}/${prefix}`
    await (await Repository.init(join(work.path, 'ws2'), { remote, author: 'ann' })).close()
    const repo = await Repository.open(remote)
    try {
      const junk = new TextEncoder().encode('staged elsewhere long ago')
      const id = createHash('sha256').update(junk).digest('hex')
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/objects/${id.slice(0, 2)}/${id}`, Body: junk }))
      await client.send(new PutObjectCommand({
        Bucket: bucket, Key: `${prefix}/gc/leases/00000000000000aa`,
        Body: serializeLease({ holder: 'gone /ws/.dv', ttlMs: 1, snapshots: [], tables: [], manifests: [], objects: [id as never] }),
      }))
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/gc/leases/00000000000000bb`, Body: '{"kind":"dv:lease:v1"}' }))
      await tick()
      const e = await catchDvError(() => repo.gc({ graceMs: 0, force: true }))
      expect(e.code).toBe('CORRUPT')
      expect(e.message).toContain('gc/leases/00000000000000bb')
      expect(e.hint).toContain('holder')
      expect((await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/objects/${id.slice(0, 2)}/${id}` }))).KeyCount).toBe(1)

      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: `${prefix}/gc/leases/00000000000000bb` }))
      const result = await repo.gc({ graceMs: 0, force: true })
      expect(result.mark).toMatchObject({ leases: 0, expiredLeases: 1 })
      expect(result.deleted.map((d) => d.id)).toContain(id)
    } finally {
      await repo.close()
    }
  })

  it('a compaction in flight names the file it stored in a lease of its own: gc meanwhile keeps it, the lease goes with the commit', async () => {
    const prefix = 'writer'
    const remote = `s3://${bucket}/${prefix}`
    const csv = join(work.path, 'w.csv')
    const seed = await Repository.init(remote, { author: 'ann' })
    try {
      for (const row of ['1,a', '2,b']) {
        await writeFile(csv, `id,kind\n${row}\n`)
        await seed.write('t', csv, { commit: true, message: row })
      }
    } finally {
      await seed.close()
    }
    expect(await leaseKeys(prefix)).toEqual([])

    let stored: string | undefined
    let lease: ReturnType<typeof parseLease> | undefined
    let swept: string[] = []
    // after the compaction stored its new file, before it commits: the lease is written, and gc runs from elsewhere
    const midway = async (id: string) => {
      stored = id
      await tick() // longer than the lease's 100 ms delay, and S3 keeps whole seconds (gc's cutoff with grace 0)
      const keys = await leaseKeys(prefix)
      expect(keys).toHaveLength(1)
      lease = parseLease(await (await client.send(new GetObjectCommand({ Bucket: bucket, Key: keys[0] }))).Body!.transformToByteArray())
      const elsewhere = await Repository.open(remote)
      try {
        const result = await elsewhere.gc({ graceMs: 0, force: true })
        expect(result.mark.leases).toBe(1)
        swept = result.deleted.map((d) => d.id)
      } finally {
        await elsewhere.close()
      }
    }
    const writer = await Repository.fromStorage(afterFirstPut(await openStorage(remote), midway), {
      author: 'bob', writerLease: { afterMs: 100, everyMs: 100, ttlMs: 600_000 },
    })
    try {
      const r = await writer.compact('t')
      expect(r).toMatchObject({ filesRemoved: 2, filesAdded: 1, rows: 2 })
      expect(lease).toMatchObject({ snapshots: [], tables: [], manifests: [], objects: [stored] })
      expect(lease!.holder).toContain('(a dv write in flight)')
      expect(lease!.ttlMs).toBe(600_000)
      expect(swept).not.toContain(stored)
      expect(await leaseKeys(prefix)).toEqual([])
      expect((await writer.verify({ full: true })).problems).toEqual([])
      expect((await writer.show('main', 't')).table!.rows).toBe(2)
    } finally {
      await writer.close()
    }
  })
})

/**
 * `storage` that calls `then(id)` with the first data file stored (putFile)
 * when the commit stores its first metadata object (put): after the action
 * published its files, before its ref update.
 */
function afterFirstPut(storage: Storage, then: (id: string) => Promise<void>): Storage {
  let stored: string | undefined
  let fired = false
  const objects = new Proxy(storage.objects, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown
      if (typeof value !== 'function') return value
      if (prop === 'putFile') {
        return async (...args: unknown[]) => {
          const result = await (value as (...a: unknown[]) => Promise<{ id: string }>).apply(target, args)
          stored ??= result.id
          return result
        }
      }
      if (prop === 'put') {
        return async (...args: unknown[]) => {
          if (stored !== undefined && !fired) {
            fired = true
            await then(stored)
          }
          return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args)
        }
      }
      return value.bind(target)
    },
  })
  return new Proxy(storage, { get: (target, prop, receiver) => (prop === 'objects' ? objects : Reflect.get(target, prop, receiver) as unknown) })
}

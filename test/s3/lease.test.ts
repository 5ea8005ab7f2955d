/**
 * Leases (format-spec/gc.md#leases): a workspace on an S3 store keeps a lease
 * naming what it has staged, so that dv gc run from elsewhere (a bare store
 * URL, another machine) keeps it, however old; the lease goes once nothing is
 * staged, an expired one is ignored, and a damaged one stops gc.
 */
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { createHash } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Repository } from '../../src/index.js'
import { parseLease, serializeLease } from '../../src/format/index.js'
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
})

/**
 * Retention on the real S3-compatible test server: the expiry record lives
 * in the store (PREFIX/refs/expiry), so a second client refuses to read what
 * the first expired, and gc (on the service's whole-second clock) deletes
 * only the expired snapshot's data.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { beforeAll, expect, it } from 'vitest'
import { Repository, type DvError } from '../../src/index.js'
import { createTestBucket, describeS3, useS3WorkDir } from '../support/s3-server.js'


async function rows(repo: Repository, at: string): Promise<string> {
  let text = ''
  await repo.cat('t', new Writable({ write(chunk: Buffer, _e, cb) { text += chunk.toString(); cb() } }), { at })
  return text
}

describeS3('retention on S3', () => {
  const work = useS3WorkDir('dv-s3retention-')
  let url: string
  beforeAll(async () => {
    url = `s3://${await createTestBucket('retention')}/lake`
  }, 180_000)

  it('a second client refuses an expired snapshot, reads the tag, and gc deletes only the expired data', async () => {
    await writeFile(join(work.path, 'a.csv'), 'id\n1\n')
    await writeFile(join(work.path, 'b.csv'), 'id\n2\n')
    await writeFile(join(work.path, 'c.csv'), 'id\n3\n')
    const first = await Repository.init(url, { author: 'ann' })
    const second = await Repository.open(url, { author: 'bob' })
    try {
      const a = await first.write('t', join(work.path, 'a.csv'), { commit: true, message: 'a', idempotencyKey: 'a' })
      await first.write('t', join(work.path, 'b.csv'), { commit: true, message: 'b', mode: 'overwrite' })
      await first.createTag('b')
      await first.write('t', join(work.path, 'c.csv'), { commit: true, message: 'c', mode: 'overwrite' })
      await first.setRetention('main', { keepLast: 1 })
      const expired = await first.expire()
      expect(expired.expired.map((e) => e.snapshot)).toContain(a.commit!.snapshot)
      const e = await rows(second, a.commit!.snapshot).then(() => undefined, (x: DvError) => x)
      expect(e?.code).toBe('NOT_FOUND')
      expect(e?.message).toMatch(/expired by retention \(policy keep-last=1 on branch main/)
      expect(await rows(second, 'b')).toBe('id\n2\n')
      // S3 keeps whole seconds: let the expiry's second pass before a gc with no grace honours it
      await new Promise((r) => setTimeout(r, 1100))
      const gc = await second.gc({ graceMs: 0, force: true })
      expect(gc.deleted.length).toBe(expired.released.objects)
      expect(gc.deleted.length).toBeGreaterThan(0)
      expect(await rows(second, 'b')).toBe('id\n2\n')
      expect(await rows(second, 'main')).toBe('id\n3\n')
      expect((await second.verify({ full: true })).problems).toEqual([])
      const again = await second.write('t', join(work.path, 'a.csv'), { commit: true, message: 'a', idempotencyKey: 'a' })
      expect(again.commit?.snapshot).toBe(a.commit!.snapshot)
    } finally {
      await first.close()
      await second.close()
    }
  }, 120_000)
})

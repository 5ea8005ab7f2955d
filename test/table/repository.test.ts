import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm, writeFile, readdir, chmod, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Repository } from '../../src/index.js'
import { TextSink } from '../support/text-sink.js'

async function catText(repo: Repository, table: string, opts: Parameters<Repository['cat']>[2] = {}): Promise<string> {
  const sink = new TextSink()
  await repo.cat(table, sink, { format: 'csv', ...opts })
  return sink.text
}

function clock(start = Date.UTC(2026, 0, 10)): () => number {
  let t = start
  return () => (t += 60_000)
}

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-repo-test-'))
  await writeFile(join(dir, 'events.csv'), 'id,ts,kind\n1,2026-01-01 10:00:00,a\n2,2026-01-01 11:00:00,b\n3,2026-01-02 09:00:00,a\n4,2026-01-03 12:00:00,c\n')
  await writeFile(join(dir, 'more.csv'), 'id,ts,kind,amount\n5,2026-01-04 10:00:00,a,1.5\n')
  await writeFile(join(dir, 'users.ndjson'), '{"user":"ann","age":31}\n{"user":"bob","age":42}\n')
  await writeFile(join(dir, 'bad-type.csv'), 'id,ts,kind\nnot-a-number,2026-01-01 10:00:00,a\n')
  await writeFile(join(dir, 'ragged.csv'), 'id,ts,kind\n1,2026-01-01 10:00:00,a\n2,2026-01-01 11:00:00,b,extra\n')
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('Repository on a local store', () => {
  it('stages writes, commits them atomically, and travels in time', async () => {
    const root = join(dir, 'lake1')
    const repo = await Repository.init(root, { now: clock(), author: 'test' })
    try {
      const w1 = await repo.write('events', join(dir, 'events.csv'), { partitionBy: 'day(ts)' })
      expect(w1).toMatchObject({ table: 'events', rows: 4, created: true, files: 3 })
      expect(w1.staged).toBeDefined()
      await repo.write('users', join(dir, 'users.ndjson'))
      const st = await repo.status()
      expect(st.branch).toBe('main')
      expect(st.staged.map((s) => s.table)).toEqual(['events', 'users'])

      const c1 = await repo.commit({ message: 'initial load' })
      expect(Object.keys(c1.tables).sort()).toEqual(['events', 'users'])
      expect(c1.tables.events).toMatchObject({ operation: 'create', addedRows: 4, addedFiles: 3 })
      expect((await repo.status()).staged).toEqual([])
      await expect(repo.commit({ message: 'again' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })

      const c2 = await repo.write('events', join(dir, 'more.csv'), { commit: true, message: 'more events' })
      expect(c2.addedColumns).toEqual(['amount'])
      expect(c2.commit?.parents).toEqual([c1.snapshot])

      const log = await repo.log()
      expect(log.map((e) => e.message)).toEqual(['more events', 'initial load', 'initialize repository'])
      expect(log[0].refs).toContain('main')

      const show = await repo.show('HEAD', 'events')
      expect(show.table?.rows).toBe(5)
      expect(show.table?.columns.map((c) => [c.id, c.name, c.type])).toEqual([[1, 'id', 'long'], [2, 'ts', 'timestamp'], [3, 'kind', 'string'], [4, 'amount', 'double']])
      expect(show.table?.columns[0]).toMatchObject({ min: '1', max: '5', nulls: 0 })
      expect(show.table?.partitionSpec).toEqual([{ name: 'ts_day', transform: 'day', source: 'ts' }])

      // time travel: by prefix, by ~N, by tag, by time
      const prefix = c1.snapshot.slice(0, 7)
      const atFirst = await catText(repo, 'events', { at: prefix })
      expect(atFirst.trim().split('\n')).toHaveLength(5) // header + 4 rows
      expect(await catText(repo, 'events', { at: 'main~1' })).toBe(atFirst)
      expect(await catText(repo, 'events', { at: `main@{${c1.timestamp}}` })).toBe(atFirst)
      expect(await catText(repo, 'events', { at: c1.timestamp })).toBe(atFirst)
      await expect(catText(repo, 'events', { at: '2020-01-01T00:00:00Z' })).rejects.toMatchObject({ code: 'NOT_FOUND' })
      const now = await catText(repo, 'events')
      expect(now.trim().split('\n')).toHaveLength(6)
      expect(now.split('\n')[0]).toBe('id,ts,kind,amount')

      // branch, overwrite there, main unchanged
      await repo.createBranch('backfill')
      await repo.checkout('backfill')
      await repo.write('events', join(dir, 'more.csv'), { mode: 'overwrite', commit: true, message: 'rewrite on branch' })
      expect((await catText(repo, 'events', { at: 'backfill' })).trim().split('\n')).toHaveLength(2)
      await repo.checkout('main')
      expect(await catText(repo, 'events')).toBe(now)

      // tag + projection + predicate + limit, with pruning by partition
      await repo.createTag('v1')
      const sink = new TextSink()
      const res = await repo.cat('events', sink, { at: 'v1', columns: ['id', 'ts'], where: "ts >= '2026-01-02'", format: 'csv' })
      expect(sink.text.trim().split('\n')).toEqual(['id,ts', '3,2026-01-02 09:00:00', '4,2026-01-03 12:00:00', '5,2026-01-04 10:00:00'])
      expect(res.filesPruned).toBeGreaterThan(0)

      // detached checkout refuses writes
      await repo.checkout(prefix)
      expect((await repo.status()).detached).toBe(true)
      await expect(repo.write('events', join(dir, 'more.csv'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
      await repo.checkout('main')
    } finally {
      await repo.close()
    }
  })

  it('rejects bad input clearly and writes nothing', async () => {
    const root = join(dir, 'lake2')
    const repo = await Repository.init(root, { now: clock(), author: 'test' })
    try {
      await repo.write('events', join(dir, 'events.csv'), { commit: true, message: 'load' })
      const head = await repo.resolve('main')
      const objectsBefore = await countObjects(root)
      await expect(repo.write('events', join(dir, 'bad-type.csv'), { commit: true, message: 'x' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
      await expect(repo.write('events', join(dir, 'ragged.csv'), { commit: true, message: 'x' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
      await expect(repo.write('../x', join(dir, 'events.csv'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
      await expect(repo.write('events', join(dir, 'missing.csv'))).rejects.toMatchObject({ code: 'NOT_FOUND' })
      for (const bad of ['../x', '', 'a b', 'HEAD']) await expect(repo.createBranch(bad)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
      await expect(repo.resolve('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' })
      await expect(repo.cat('events', new TextSink(), { where: 'nosuchcol > 1' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
      await expect(repo.cat('nosuchtable', new TextSink())).rejects.toMatchObject({ code: 'NOT_FOUND' })
      expect(await repo.resolve('main')).toBe(head)
      expect(await countObjects(root)).toBe(objectsBefore)
      expect((await repo.status()).staged).toEqual([])
    } finally {
      await repo.close()
    }
  })

  it('detects a corrupted metadata object and names it', async () => {
    const root = join(dir, 'lake3')
    const repo = await Repository.init(root, { now: clock(), author: 'test' })
    const c = await repo.write('events', join(dir, 'events.csv'), { commit: true, message: 'load' })
    await repo.close()
    const id = c.commit!.snapshot
    const path = join(root, '.dv', 'objects', id.slice(0, 2), id)
    await chmod(path, 0o644)
    const bytes = await readFile(path)
    bytes[bytes.length - 3] ^= 1
    await writeFile(path, bytes)
    const again = await Repository.open(root)
    try {
      const err = await again.log().catch((e) => e)
      expect(err.code).toBe('CORRUPT')
      expect(err.message).toContain(id.slice(0, 12))
    } finally {
      await again.close()
    }
  })

  it('refuses to output a data file whose bytes do not match its id', async () => {
    const root = join(dir, 'lake4')
    const repo = await Repository.init(root, { now: clock(), author: 'test' })
    try {
      await repo.write('events', join(dir, 'events.csv'), { commit: true, message: 'load' })
      let corrupted = 0
      for (const d of await readdir(join(root, '.dv', 'objects'))) {
        for (const f of await readdir(join(root, '.dv', 'objects', d))) {
          const path = join(root, '.dv', 'objects', d, f)
          const bytes = await readFile(path)
          if (bytes.subarray(0, 4).toString() !== 'PAR1') continue
          await chmod(path, 0o644)
          bytes[Math.floor(bytes.length / 2)] ^= 1
          await writeFile(path, bytes)
          corrupted++
        }
      }
      expect(corrupted).toBe(1)
      const again = await Repository.open(root) // a fresh process view: nothing verified yet
      try {
        const sink = new TextSink()
        await expect(again.cat('events', sink, { format: 'csv' })).rejects.toMatchObject({ code: 'CORRUPT' })
        expect(sink.text).toBe('')
      } finally {
        await again.close()
      }
    } finally {
      await repo.close()
    }
  })

  it('errors outside a repository', async () => {
    await expect(Repository.open(join(dir))).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})

async function countObjects(root: string): Promise<number> {
  let n = 0
  for (const d of await readdir(join(root, '.dv', 'objects'))) n += (await readdir(join(root, '.dv', 'objects', d))).length
  return n
}

/**
 * dv compact (src/table/actions/compact.ts): the small files of each
 * partition become one file of the same rows, in one `replace` commit that
 * time travel sees around; it rebases over a concurrent append and conflicts
 * with a concurrent removal of one of its files; bad options change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Repository } from '../../src/index.js'
import { openStorage } from '../../src/store/open.js'
import type { Storage } from '../../src/store/types.js'
import { catchDvError } from '../conformance/storage-conformance.js'
import { TextSink } from '../support/text-sink.js'

let dir: string
let seq = 0
let repo: Repository

async function csv(rows: string[]): Promise<string> {
  const p = join(dir, `c-${seq++}.csv`)
  await writeFile(p, `id,ts,v\n${rows.join('\n')}\n`)
  return p
}
const ev = (id: number, d: number) => `${id},2026-01-0${d} 10:00:00,v${id}`

async function catRows(r: Repository, table: string, at?: string, sort = true): Promise<string[]> {
  const s = new TextSink()
  await r.cat(table, s, { at, format: 'csv', columns: ['id', 'ts', 'v'] })
  const lines = s.text.trim().split('\n').slice(1)
  return sort ? lines.sort() : lines
}

/** Appends `batches` as one commit each: one small file per batch and partition. */
async function appendEach(r: Repository, table: string, batches: string[][], options: { partitionBy?: string } = {}): Promise<void> {
  for (const [i, rows] of batches.entries()) {
    await r.write(table, await csv(rows), { ...(i === 0 ? options : {}), commit: true, message: `${table} ${i}` })
  }
}

/** Reads the snapshot object's kind from the local store (format-spec/snapshot.md#kinds). */
async function snapshotKind(id: string): Promise<string> {
  const bytes = await readFile(join(dir, 'lake', '.dv', 'objects', id.slice(0, 2), id))
  return (JSON.parse(bytes.toString('utf8')) as { kind: string }).kind
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dv-compact-'))
  repo = await Repository.init(join(dir, 'lake'), { author: 'compact' })
  await appendEach(repo, 'events', [[ev(1, 1), ev(2, 2)], [ev(3, 1), ev(4, 2)], [ev(5, 1), ev(6, 2)]], { partitionBy: 'day(ts)' })
  await appendEach(repo, 'flat', [[ev(9, 1), ev(7, 1)], [ev(8, 2), ev(1, 3)], [ev(5, 1), ev(3, 2)]])
})
afterAll(async () => {
  await repo.close()
  await rm(dir, { recursive: true, force: true })
})

describe('dv compact', () => {
  it('a dry run lists the files it would rewrite and writes nothing', async () => {
    const head = await repo.resolve('main')
    const r = await repo.compact('events', { dryRun: true })
    expect(r).toMatchObject({ partitions: 2, filesRemoved: 6, rows: 6, commit: null })
    expect(await repo.resolve('main')).toBe(head)
  })

  it('writes the small files of each partition as one, in a replace commit; rows and time travel unchanged', async () => {
    const before = await repo.resolve('main')
    const rowsBefore = await catRows(repo, 'events')
    const r = await repo.compact('events')
    expect(r).toMatchObject({ table: 'events', branch: 'main', partitions: 2, filesRemoved: 6, filesAdded: 2, rows: 6 })
    expect(r.commit!.tables.events).toMatchObject({ operation: 'replace', removedFiles: 6, addedFiles: 2, removedRows: 6, addedRows: 6 })
    expect(await snapshotKind(r.commit!.snapshot)).toBe('dv:snapshot:v2')
    // the write before it records its input (lineage: v3); the compaction reads none and is v2
    expect(await snapshotKind(before)).toBe('dv:snapshot:v3')
    expect(await catRows(repo, 'events')).toEqual(rowsBefore)
    expect(await catRows(repo, 'events', before)).toEqual(rowsBefore)
    // day 1 is pruned to the one new file
    const s = new TextSink()
    await repo.cat('events', s, { format: 'csv', columns: ['id'], where: "ts < '2026-01-02'" })
    expect(s.text.trim().split('\n').slice(1).sort()).toEqual(['1', '3', '5'])
    // nothing left to gain: no commit
    const again = await repo.compact('events')
    expect(again).toMatchObject({ partitions: 0, filesRemoved: 0, commit: null })
    expect(await repo.resolve('main')).toBe(r.commit!.snapshot)
  })

  it('--sort-by orders the rows in the new file', async () => {
    const r = await repo.compact('flat', { sortBy: ['id'] })
    expect(r).toMatchObject({ partitions: 1, filesRemoved: 3, filesAdded: 1, rows: 6 })
    expect((await catRows(repo, 'flat', undefined, false)).map((l) => Number(l.split(',')[0]))).toEqual([1, 3, 5, 7, 8, 9])
    // sorted again: the same file (content-addressed), so nothing to commit
    const head = await repo.resolve('main')
    expect(await repo.compact('flat', { sortBy: ['id'] })).toMatchObject({ filesRemoved: 0, commit: null })
    expect(await repo.resolve('main')).toBe(head)
  })

  it('--where compacts only the files that may hold matching rows', async () => {
    await appendEach(repo, 'w', [[ev(1, 1), ev(2, 2)], [ev(3, 1), ev(4, 2)]], { partitionBy: 'day(ts)' })
    const r = await repo.compact('w', { where: "ts < '2026-01-02'" })
    expect(r).toMatchObject({ partitions: 1, filesRemoved: 2, filesAdded: 1 })
    expect(await catRows(repo, 'w')).toHaveLength(4)
  })

  it('reads files from before a rename and an added column as scans do, and keeps their rows', async () => {
    await appendEach(repo, 's', [[ev(1, 1)], [ev(2, 1)]])
    await repo.alterTable('s', { action: 'rename-column', path: 'v', name: 'label' })
    const p = join(dir, `c-${seq++}.csv`)
    await writeFile(p, 'id,ts,label,extra\n3,2026-01-01 10:00:00,v3,x\n')
    await repo.write('s', p, { commit: true, message: 'adds extra' })
    const before = new TextSink()
    await repo.cat('s', before, { format: 'csv' })
    const r = await repo.compact('s')
    expect(r).toMatchObject({ filesRemoved: 3, filesAdded: 1, rows: 3 })
    const after = new TextSink()
    await repo.cat('s', after, { format: 'csv' })
    const sorted = (t: string) => t.trim().split('\n').sort()
    expect(sorted(after.text)).toEqual(sorted(before.text))
    expect(after.text).toMatch(/^id,ts,label,extra\n/)
  })

  it('refuses bad options and a table with staged changes, changing nothing', async () => {
    await appendEach(repo, 'bad', [[ev(1, 1)], [ev(2, 1)]])
    const head = await repo.resolve('main')
    expect((await catchDvError(() => repo.compact('bad', { targetSize: 0 }))).code).toBe('INVALID_ARGUMENT')
    expect((await catchDvError(() => repo.compact('bad', { sortBy: ['nope'] }))).message).toMatch(/no such column/)
    expect((await catchDvError(() => repo.compact('bad', { sortBy: [] }))).code).toBe('INVALID_ARGUMENT')
    expect((await catchDvError(() => repo.compact('missing'))).code).toBe('NOT_FOUND')
    expect((await catchDvError(() => repo.compact('bad', { where: "v = 'x') OR (1=1" }))).code).toBe('INVALID_ARGUMENT')
    await repo.write('bad', await csv([ev(3, 1)]), { message: 'staged' })
    expect((await catchDvError(() => repo.compact('bad'))).message).toMatch(/staged changes/)
    expect(await repo.resolve('main')).toBe(head)
  })
})

/** The data files (Parquet objects) of the repository at `root`, by path. */
async function parquetObjects(root: string): Promise<string[]> {
  const objects = join(root, '.dv', 'objects')
  const found: string[] = []
  for (const prefix of await readdir(objects)) {
    for (const name of await readdir(join(objects, prefix))) {
      const path = join(objects, prefix, name)
      if ((await readFile(path)).subarray(0, 4).toString('latin1') === 'PAR1') found.push(path)
    }
  }
  return found
}

describe('dv compact over a damaged data file', () => {
  /** A new repository whose table `d` has three small files; `damage` changes the bytes of one of them. */
  async function damagedLake(name: string, damage: (bytes: Buffer) => void): Promise<{ root: string; id: string }> {
    const root = join(dir, name)
    const r = await Repository.init(root, { author: 'compact' })
    try {
      await appendEach(r, 'd', [[ev(1, 1)], [ev(2, 1)], [ev(3, 1)]])
    } finally {
      await r.close()
    }
    const [path] = await parquetObjects(root)
    const bytes = await readFile(path!)
    damage(bytes)
    await chmod(path!, 0o644)
    await writeFile(path!, bytes)
    return { root, id: path!.split('/').pop()! }
  }

  async function compactFails(root: string, id: string): Promise<void> {
    const r = await Repository.open(root)
    try {
      const head = await r.resolve('main')
      const e = await catchDvError(() => r.compact('d'))
      expect(e.code).toBe('CORRUPT')
      expect(e.message).toContain(`object ${id} is corrupt`)
      expect(await r.resolve('main')).toBe(head)
    } finally {
      await r.close()
    }
  }

  it('a byte changed where the engine still reads the file (the footer\'s writer name): CORRUPT, nothing committed', async () => {
    const { root, id } = await damagedLake('dmg-footer', (bytes) => {
      const at = bytes.lastIndexOf('DuckDB')
      expect(at).toBeGreaterThan(0)
      bytes[at] = 'd'.charCodeAt(0)
    })
    await compactFails(root, id)
  })

  it('a byte changed in the first data page, which the engine fails on: the hash names the file, nothing committed', async () => {
    const { root, id } = await damagedLake('dmg-page', (bytes) => {
      for (let i = 4; i < 40; i++) bytes[i] ^= 0xff
    })
    await compactFails(root, id)
  })
})

/**
 * A store that lets `before` run (a concurrent commit landing mid-compaction)
 * when the compaction first stores a data file: after it read the head and
 * planned its files, before it commits.
 */
function racing(storage: Storage, before: () => Promise<void>): Storage {
  let armed = true
  const hook = async () => {
    if (!armed) return
    armed = false
    await before()
  }
  const objects = new Proxy(storage.objects, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown
      if ((prop !== 'adoptFile' && prop !== 'putFile') || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value
      return async (...args: unknown[]) => {
        await hook()
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  })
  return new Proxy(storage, { get: (target, prop, receiver) => (prop === 'objects' ? objects : Reflect.get(target, prop, receiver) as unknown) })
}

describe('dv compact against a concurrent commit', () => {
  it('rebases over a concurrent append (its file is kept)', async () => {
    await appendEach(repo, 'r1', [[ev(1, 1)], [ev(2, 1)]])
    const racer = await Repository.fromStorage(racing(await openStorage(repo.location), async () => {
      await repo.write('r1', await csv([ev(3, 1)]), { commit: true, message: 'concurrent append' })
    }), { author: 'racer' })
    try {
      const r = await racer.compact('r1')
      expect(r.commit!.tables.r1).toMatchObject({ operation: 'replace', removedFiles: 2, addedFiles: 1 })
      expect((await repo.log({ limit: 2 })).map((e) => e.message)).toEqual(['compact r1: 2 files into 1', 'concurrent append'])
      expect(await catRows(repo, 'r1')).toHaveLength(3)
    } finally {
      await racer.close()
    }
  })

  it('conflicts with a concurrent delete of one of its files (file-removed), applying nothing', async () => {
    await appendEach(repo, 'r2', [[ev(1, 1)], [ev(2, 1)]])
    let deleted = ''
    const racer = await Repository.fromStorage(racing(await openStorage(repo.location), async () => {
      deleted = (await repo.delete('r2', 'id = 1', { commit: true, message: 'concurrent delete' })).commit!.snapshot
    }), { author: 'racer' })
    try {
      const e = await catchDvError(() => racer.compact('r2'))
      expect(e.code).toBe('CONFLICT')
      expect(e.details).toMatchObject({ rule: 'file-removed' })
      expect(e.message).toMatch(/compaction of table 'r2'/)
      expect(await repo.resolve('main')).toBe(deleted)
      expect(await catRows(repo, 'r2')).toHaveLength(1)
    } finally {
      await racer.close()
    }
  })
})
